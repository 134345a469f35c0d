// npm start: runs the tray app from source. Needs Electron's binary, and better-sqlite3 built for
// Electron's ABI, which goes to out/native/electron/ so node_modules keeps the Node build for npm test.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fail = (lines) => {
  for (const line of lines) console.error(line);
  process.exit(1);
};

let electron;
try {
  electron = require('electron'); // the binary's path, or a throw when it was never downloaded
} catch {
  fail([
    "Gatehouse's tray app needs Electron's binary, which is not installed here.",
    'Download it (from GitHub) with: node node_modules/electron/install.js, then run npm start again.',
    'Without it, run the same gateway headless: npm run serve (its dashboard opens in your browser).',
  ]);
}

const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
const nativeDir = join(root, 'out', 'native', 'electron');
const binding = join(nativeDir, 'better_sqlite3.node');
const stamp = join(nativeDir, `electron-${electronVersion}`);
if (!existsSync(binding) || !existsSync(stamp)) {
  console.log(`Building better-sqlite3 for Electron ${electronVersion} (once; needs electronjs.org for headers)…`);
  const work = join(root, 'out', 'native', 'build');
  cpSync(dirname(require.resolve('better-sqlite3/package.json')), work, { recursive: true, filter: (p) => !p.includes(`${join('build', '')}`) });
  const gyp = spawnSync(process.execPath, [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers', '--runtime=electron'], { cwd: work, stdio: 'inherit' });
  if (gyp.status !== 0) fail(['Could not build better-sqlite3 for Electron (see above). It needs the Electron headers from electronjs.org.']);
  mkdirSync(nativeDir, { recursive: true });
  cpSync(join(work, 'build', 'Release', 'better_sqlite3.node'), binding);
  cpSync(binding, stamp);
}

const child = spawn(electron, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
