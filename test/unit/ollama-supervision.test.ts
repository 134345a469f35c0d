import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GatehouseError } from '../../main/errors';
import { LogRing } from '../../main/ollama/child';
import { exposedListeners, exposureFix } from '../../main/ollama/exposure';
import { detectInstall, type Platform } from '../../main/ollama/install';
import { appLaunchCommand, DEFAULT_BACKOFF, loopbackBind, restartDelay, serveCommand, stopCommand } from '../../main/ollama/launch';
import { classifyOwner, parsePs, parseWindowsCsv } from '../../main/ollama/processes';

const fs = (...present: string[]) => (p: string) => present.includes(p);

describe('detecting an Ollama install', () => {
  const cases: Array<{ name: string; platform: Platform; env: Record<string, string>; files: string[]; binary: string | null; app: string | null; service?: boolean }> = [
    { name: 'macOS app with its CLI link', platform: 'darwin', env: { HOME: '/Users/ann' }, files: ['/Applications/Ollama.app', '/usr/local/bin/ollama'], binary: '/usr/local/bin/ollama', app: '/Applications/Ollama.app' },
    { name: 'macOS app without the CLI link uses the bundled CLI', platform: 'darwin', env: {}, files: ['/Applications/Ollama.app', '/Applications/Ollama.app/Contents/Resources/ollama'], binary: '/Applications/Ollama.app/Contents/Resources/ollama', app: '/Applications/Ollama.app' },
    { name: 'macOS app in ~/Applications', platform: 'darwin', env: { HOME: '/Users/ann' }, files: ['/Users/ann/Applications/Ollama.app'], binary: null, app: '/Users/ann/Applications/Ollama.app' },
    { name: 'macOS Homebrew CLI only', platform: 'darwin', env: { PATH: '/opt/homebrew/bin:/usr/bin' }, files: ['/opt/homebrew/bin/ollama'], binary: '/opt/homebrew/bin/ollama', app: null },
    { name: 'Windows per-user install', platform: 'win32', env: { LOCALAPPDATA: 'C:\\Users\\ann\\AppData\\Local' }, files: ['C:\\Users\\ann\\AppData\\Local\\Programs\\Ollama\\ollama app.exe', 'C:\\Users\\ann\\AppData\\Local\\Programs\\Ollama\\ollama.exe'], binary: 'C:\\Users\\ann\\AppData\\Local\\Programs\\Ollama\\ollama.exe', app: 'C:\\Users\\ann\\AppData\\Local\\Programs\\Ollama\\ollama app.exe' },
    { name: 'Windows CLI on Path only', platform: 'win32', env: { Path: 'C:\\tools;relative' }, files: ['C:\\tools\\ollama.exe'], binary: 'C:\\tools\\ollama.exe', app: null },
    { name: 'Linux install.sh with its service', platform: 'linux', env: { PATH: '/usr/bin' }, files: ['/usr/local/bin/ollama', '/etc/systemd/system/ollama.service'], binary: '/usr/local/bin/ollama', app: null, service: true },
    { name: 'Linux distribution package', platform: 'linux', env: {}, files: ['/usr/bin/ollama'], binary: '/usr/bin/ollama', app: null },
    { name: 'Linux in a home folder on PATH (relative entries ignored)', platform: 'linux', env: { PATH: 'bin:/home/ann/.local/bin' }, files: ['bin/ollama', '/home/ann/.local/bin/ollama'], binary: '/home/ann/.local/bin/ollama', app: null },
    { name: 'nothing installed', platform: 'linux', env: { PATH: '/usr/bin:/bin' }, files: [], binary: null, app: null },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const found = detectInstall({ platform: c.platform, env: c.env, exists: fs(...c.files) });
      assert.deepEqual(found, { binary: c.binary, app: c.app, systemService: c.service ?? false });
    });
  }
});

describe('the command that starts Ollama', () => {
  it('binds loopback at the upstream port and drops settings that would widen access', () => {
    const launch = serveCommand('/usr/bin/ollama', 'http://127.0.0.1:11434', { PATH: '/usr/bin', OLLAMA_HOST: '0.0.0.0', ollama_origins: '*', OLLAMA_MODELS: '/big/disk' });
    assert.deepEqual(launch, { command: '/usr/bin/ollama', args: ['serve'], env: { PATH: '/usr/bin', OLLAMA_MODELS: '/big/disk', OLLAMA_HOST: '127.0.0.1:11434' } });
  });

  const binds: Array<[string, string]> = [
    ['http://localhost:11500', '127.0.0.1:11500'],
    ['http://[::1]:11434', '[::1]:11434'],
    ['http://127.0.0.1', '127.0.0.1:80'],
  ];
  for (const [upstream, bind] of binds) it(`binds ${bind} for ${upstream}`, () => assert.equal(loopbackBind(upstream), bind));

  it('refuses to supervise an upstream on another computer', () => {
    assert.throws(() => loopbackBind('http://192.168.1.20:11434'), (err: GatehouseError) => err.code === 'UPSTREAM_NOT_LOCAL' && /--no-supervise/.test(err.fix ?? ''));
  });

  it('opens the desktop app in the background where there is one', () => {
    assert.deepEqual(appLaunchCommand('darwin', '/Applications/Ollama.app'), { command: 'open', args: ['-g', '-a', '/Applications/Ollama.app'] });
    assert.deepEqual(appLaunchCommand('win32', 'C:\\O\\ollama app.exe'), { command: 'C:\\O\\ollama app.exe', args: [] });
    assert.equal(appLaunchCommand('linux', null), null);
    assert.equal(appLaunchCommand('darwin', null), null);
  });

  it('stops politely, then by force, reaching the whole process tree', () => {
    assert.deepEqual(stopCommand('linux', 42, false), { signal: 'SIGTERM', pid: -42 });
    assert.deepEqual(stopCommand('darwin', 42, true), { signal: 'SIGKILL', pid: -42 });
    assert.deepEqual(stopCommand('win32', 42, false), { command: 'taskkill', args: ['/pid', '42', '/T'] });
    assert.deepEqual(stopCommand('win32', 42, true), { command: 'taskkill', args: ['/pid', '42', '/T', '/F'] });
  });
});

describe('restart backoff', () => {
  it('doubles from 1 s to 30 s, then gives up', () => {
    const schedule = Array.from({ length: 9 }, (_, i) => restartDelay(DEFAULT_BACKOFF, i + 1));
    assert.deepEqual(schedule, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, null, null]);
  });
});

describe('who runs Ollama', () => {
  it('reads ps and PowerShell process lists', () => {
    assert.deepEqual(parsePs('  1     0 /sbin/init\n 812     1 /Applications/Ollama.app/Contents/MacOS/Ollama -psn_0\n'), [
      { pid: 1, ppid: 0, command: '/sbin/init' },
      { pid: 812, ppid: 1, command: '/Applications/Ollama.app/Contents/MacOS/Ollama -psn_0' },
    ]);
    assert.deepEqual(parseWindowsCsv('"ProcessId","ParentProcessId","Name"\r\n"4","0","System"\r\n"5120","3312","ollama app.exe"\r\n'), [
      { pid: 4, ppid: 0, command: 'System' },
      { pid: 5120, ppid: 3312, command: 'ollama app.exe' },
    ]);
  });

  const macApp = { pid: 10, ppid: 1, command: '/Applications/Ollama.app/Contents/MacOS/Ollama' };
  const winApp = { pid: 10, ppid: 1, command: 'ollama app.exe' };
  const serve = { pid: 11, ppid: 10, command: 'ollama serve' };
  const cases: Array<[string, Parameters<typeof classifyOwner>[0], string]> = [
    ['our child', { platform: 'linux', processes: [serve], childPid: 11 }, 'gatehouse'],
    ['the macOS app', { platform: 'darwin', processes: [macApp, serve] }, 'desktop-app'],
    ['the Windows tray app', { platform: 'win32', processes: [winApp, serve] }, 'desktop-app'],
    ['the systemd service', { platform: 'linux', processes: [serve], serviceActive: true }, 'system-service'],
    ['a hand-started server', { platform: 'linux', processes: [serve] }, 'unknown'],
    ['a service flag means nothing off Linux', { platform: 'darwin', processes: [], serviceActive: true }, 'unknown'],
    ['a stale child pid', { platform: 'linux', processes: [serve], childPid: 99 }, 'unknown'],
  ];
  for (const [name, clues, owner] of cases) it(name, () => assert.equal(classifyOwner(clues), owner));
});

describe('exposure', () => {
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
  const row = (local: string, state = '0A') => `   0: ${local} 00000000:0000 ${state} 00000000:00000000 00:00000000 00000000  1000        0 1 1 0000000000000000 100 0 0 10 0`;
  it('finds wildcard and LAN listeners on the port in /proc/net/tcp{,6}, not loopback ones', () => {
    const table = [
      header,
      row('0100007F:2CAA'), // 127.0.0.1:11434
      row('00000000:2CAA'), // 0.0.0.0:11434
      row('0201A8C0:2CAA'), // 192.168.1.2:11434
      row('0201A8C0:2CAB'), // another port
      row('00000000:2CAA', '01'), // an established connection, not a listener
      row('00000000000000000000000000000000:2CAA'), // [::]:11434
      row('00000000000000000000000001000000:2CAA'), // [::1]:11434
      row('0000000000000000FFFF00000201A8C0:2CAA'), // ::ffff:192.168.1.2
    ].join('\n');
    assert.deepEqual(exposedListeners(table, 11434).sort(), ['0.0.0.0', '192.168.1.2', '::']);
  });

  it('gives the fix for the owner and the OS', () => {
    assert.match(exposureFix('darwin', 'desktop-app'), /Expose Ollama to the network.*launchctl unsetenv OLLAMA_HOST/s);
    assert.match(exposureFix('win32', 'desktop-app'), /Expose Ollama to the network.*Environment Variables/s);
    assert.match(exposureFix('linux', 'system-service'), /systemctl edit ollama.*systemctl restart ollama/s);
    assert.match(exposureFix('linux', 'unknown'), /-p 127\.0\.0\.1:11434:11434/);
    assert.match(exposureFix('win32', null), /Remove OLLAMA_HOST/);
    assert.match(exposureFix('linux', 'gatehouse'), /forwarding/);
  });
});

describe('the child log ring', () => {
  it('keeps the last lines, joins lines split across chunks and caps a runaway line', () => {
    const ring = new LogRing(3);
    ring.write('one\ntw');
    ring.write('o\r\nthree\nfour\nfi');
    assert.deepEqual(ring.snapshot(), ['two', 'three', 'four', 'fi']);
    ring.write('x'.repeat(9000));
    assert.equal(ring.snapshot().at(-1)?.length, 9002);
    assert.equal(ring.snapshot().length, 3);
  });
});
