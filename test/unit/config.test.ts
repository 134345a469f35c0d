import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultDataDir, resolveDataDir } from '../../main/config/paths';
import { envOverrides, parseSetting, parseUpstream } from '../../main/config/settings';
import { UsageError } from '../../main/errors';
import { currentHostNames, lanAddresses } from '../../main/tls/addresses';

describe('data folder', () => {
  it('is the per-user app-data folder of each OS', () => {
    assert.equal(defaultDataDir('darwin', {}, '/Users/ann'), '/Users/ann/Library/Application Support/Gatehouse');
    assert.equal(defaultDataDir('linux', {}, '/home/ann'), '/home/ann/.config/Gatehouse');
    assert.equal(defaultDataDir('linux', { XDG_CONFIG_HOME: '/x' }, '/home/ann'), '/x/Gatehouse');
    assert.match(defaultDataDir('win32', { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, 'C:\\Users\\ann'), /Roaming.Gatehouse$/);
  });

  it('prefers --data-dir, then GATEHOUSE_DATA_DIR', () => {
    assert.equal(resolveDataDir('/flag', { GATEHOUSE_DATA_DIR: '/env' }), '/flag');
    assert.equal(resolveDataDir(undefined, { GATEHOUSE_DATA_DIR: '/env' }), '/env');
  });
});

describe('settings', () => {
  it('validates with messages that say what is accepted', () => {
    assert.equal(parseSetting('port', '8443'), 8443);
    assert.throws(() => parseSetting('port', 70000), /0 to 65535/);
    assert.throws(() => parseSetting('host', 'example.com'), /IP address such as 0.0.0.0/);
    assert.equal(parseSetting('paused', 'on'), true);
    assert.throws(() => parseSetting('paused', 'maybe'), UsageError);
  });

  it('accepts only plain http(s) upstream URLs', () => {
    assert.equal(parseUpstream('http://127.0.0.1:11434/'), 'http://127.0.0.1:11434');
    assert.throws(() => parseUpstream('ftp://x'), /http:\/\//);
    assert.throws(() => parseUpstream('http://u:p@127.0.0.1'), /user name/);
    assert.throws(() => parseUpstream('not a url'), /must be a URL/);
  });

  it('refuses an upstream with a path (it broke every request) or without its port', () => {
    assert.throws(() => parseUpstream('http://127.0.0.1:11434/api'), /without a path/);
    assert.throws(() => parseUpstream('http://127.0.0.1:11434/v1/'), /without a path/);
    assert.throws(() => parseUpstream('http://127.0.0.1'), /needs its port/);
    assert.equal(parseUpstream('http://[::1]:11434'), 'http://[::1]:11434');
    assert.equal(parseUpstream('https://gpu.example:443'), 'https://gpu.example');
    assert.equal(parseUpstream('HTTP://LOCALHOST:11434'), 'http://localhost:11434');
  });

  it('keeps registry allow-lists to host names', () => {
    assert.equal(parseSetting('registryAllowList', ' HF.co,registry.ollama.ai '), 'hf.co, registry.ollama.ai');
    assert.equal(parseSetting('registryAllowList', ''), '');
    for (const bad of ['http://hf.co', 'hf.co:443', '10.0.0.1', 'hf.co/x', 'localhost', 'a b.example']) assert.throws(() => parseSetting('registryAllowList', bad), /registry host names/, bad);
  });

  it('takes GATEHOUSE_HOST, _PORT and _UPSTREAM from the environment', () => {
    assert.deepEqual(envOverrides({ GATEHOUSE_HOST: '127.0.0.1', GATEHOUSE_PORT: '9000', GATEHOUSE_UPSTREAM: 'http://127.0.0.1:1' }), {
      host: '127.0.0.1',
      port: 9000,
      upstream: 'http://127.0.0.1:1',
    });
    assert.throws(() => envOverrides({ GATEHOUSE_PORT: 'x' }), UsageError);
  });
});

describe('host names for the certificate', () => {
  it('covers localhost, the host name, its .local form and non-internal addresses', () => {
    const names = currentHostNames(
      {
        lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '', mac: '', cidr: null }],
        eth0: [
          { address: '192.168.1.5', family: 'IPv4', internal: false, netmask: '', mac: '', cidr: null },
          { address: 'fe80::1', family: 'IPv6', internal: false, netmask: '', mac: '', cidr: null, scopeid: 2 },
          { address: 'fd00::5', family: 'IPv6', internal: false, netmask: '', mac: '', cidr: null, scopeid: 0 },
        ],
      },
      'Studio',
    );
    assert.deepEqual(names.dns, ['localhost', 'studio', 'studio.local']);
    assert.deepEqual(names.ips, ['127.0.0.1', '192.168.1.5', '::1', 'fd00::5']);
    assert.deepEqual(lanAddresses(names), ['192.168.1.5', 'fd00::5']);
  });
});
