import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import picomatch from 'picomatch';
import { trayIconFile, type TrayIcon } from '../../main/shell/tray-model';

/**
 * electron-builder.yml, checked without the Electron binary: the mistakes that only show in an
 * installed app (a native module inside the archive, missing tray icons, a Dock icon, an update
 * feed that names files differently from what was uploaded).
 */
const root = join(__dirname, '..', '..');
const { load } = createRequire(__filename)('js-yaml') as { load: (text: string) => unknown };

interface Target {
  target: string | string[];
  artifactName?: string;
  extendInfo?: Record<string, unknown>;
}
interface BuilderConfig {
  files: string[];
  asarUnpack: string[];
  extraResources: Array<{ from: string; to: string; filter: string[] }>;
  mac: Target;
  win: Target;
  linux: Target;
  publish: { provider: string; owner?: string; repo?: string };
}

const config = load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
const indexSource = readFileSync(join(root, 'main', 'index.ts'), 'utf8');

describe('packaging (electron-builder.yml)', () => {
  it('keeps better-sqlite3\'s native module out of the asar archive', () => {
    const unpacked = picomatch(config.asarUnpack);
    assert.ok(unpacked('node_modules/better-sqlite3/build/Release/better_sqlite3.node'));
    assert.ok(pkg.dependencies['better-sqlite3'], 'better-sqlite3 must be a dependency to be packaged at all');
  });

  it('packages the built main, preload and renderer, and the entry package.json names', () => {
    const packaged = picomatch(config.files.filter((f) => !f.startsWith('!')));
    for (const file of [pkg.main, 'out/preload/index.js', 'out/renderer/index.html', 'package.json']) assert.ok(packaged(file), file);
    assert.match(indexSource, /join\(__dirname, '\.\.', 'preload', 'index\.js'\)/, 'main/index.ts loads the preload from out/preload');
  });

  it('ships every tray icon where main/index.ts looks for it, for every OS', () => {
    const where = /join\(process\.resourcesPath, '([^']+)'\)/.exec(indexSource)?.[1];
    const resource = config.extraResources.find((r) => r.to === where);
    assert.ok(resource, `extraResources copies nothing to "${where}", where the packaged app reads its tray icons`);
    const matches = picomatch(resource.filter);
    const shipped = readdirSync(join(root, resource.from)).filter((file) => matches(file));
    for (const platform of ['darwin', 'win32', 'linux'] as const) {
      for (const icon of ['serving', 'paused', 'attention'] satisfies TrayIcon[]) {
        const file = trayIconFile(platform, icon);
        assert.ok(shipped.includes(file), `${file} (${platform}) is not shipped`);
        if (platform === 'darwin') assert.ok(shipped.includes(file.replace('.png', '@2x.png')), `${file} has no @2x`);
      }
    }
  });

  it('makes the macOS app a menu-bar app without a Dock icon', () => {
    assert.equal(config.mac.extendInfo?.LSUIElement, true);
  });

  it('names every artifact by version and architecture, without spaces, and ships the zip the mac updater installs', () => {
    for (const [os, target] of Object.entries({ mac: config.mac, win: config.win, linux: config.linux })) {
      const name = target.artifactName ?? '';
      assert.match(name, /\$\{version\}/, os);
      assert.match(name, /\$\{arch\}/, `${os}: x64 and arm64 builds would overwrite each other`);
      assert.match(name, /\$\{ext\}$/, os);
      assert.doesNotMatch(name, /\s/, `${os}: a space breaks the update feed's URL`);
    }
    assert.ok(([] as string[]).concat(config.mac.target).includes('zip'), 'electron-updater installs mac updates from the zip');
  });

  it('publishes where electron-updater looks: GitHub releases of this repository', () => {
    assert.equal(config.publish.provider, 'github');
    assert.ok(config.publish.owner && config.publish.repo);
    assert.ok(pkg.dependencies['electron-updater'], 'electron-updater must be packaged');
    assert.doesNotMatch(readFileSync(join(root, 'main', 'shell', 'updater.ts'), 'utf8'), /setFeedURL/, 'the feed comes from app-update.yml, written from publish');
    assert.ok(existsSync(join(root, 'resources', 'icon.png')));
  });
});
