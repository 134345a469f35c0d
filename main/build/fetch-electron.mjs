// postinstall: fetch Electron's binary where the network allows. Electron's own install script is
// switched off (package.json allowScripts) because it fails the whole `npm install` when GitHub
// cannot be reached; everything but `npm start` and packaging works without the binary.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let installer;
try {
  installer = require.resolve('electron/install.js');
} catch {
  process.exit(0); // a production install without devDependencies
}
if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) process.exit(0);
const result = spawnSync(process.execPath, [installer], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000, encoding: 'utf8' });
if (result.status !== 0) {
  const reason = (result.stderr ?? '').split('\n').find((l) => /Error|ENOTFOUND|EAI_AGAIN|ECONN/.test(l))?.trim() ?? 'no details';
  console.warn(`Note: Electron's binary could not be downloaded (${reason}).`);
  console.warn('      The gateway, the CLI and every test work without it; the tray app (npm start) needs it.');
  console.warn('      Where GitHub is reachable, run: node node_modules/electron/install.js');
}
