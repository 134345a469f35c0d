import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { createCore } from '../../main/core';
import { silentLogger } from '../../main/log';
import { bearer, call, startHarness } from '../helpers';

const run = promisify(execFile);

describe('pausing remote access', async () => {
  // Honest stand-in for "another computer": only 127.0.0.1 counts as local, and the remote
  // client connects from 127.0.0.2 (all of 127/8 is loopback on Linux).
  const h = await startHarness({ isLocalClient: (ip) => ip === '127.0.0.1' || ip === '::ffff:127.0.0.1' });
  const token = h.token('teammate');
  const local = (path = '/api/version') => call(`${h.url}${path}`, { ca: h.ca, headers: bearer(token) });
  const remote = (path = '/api/version', headers: Record<string, string> = bearer(token)) =>
    call(`${h.url}${path}`, { ca: h.ca, headers, localAddress: '127.0.0.2' });

  /** The remote client's answers until one has `status`, for at most a second. */
  async function remoteUntil(status: number) {
    const start = Date.now();
    let res = await remote();
    while (res.status !== status && Date.now() - start < 1000) {
      await new Promise((r) => setTimeout(r, 25));
      res = await remote();
    }
    return res;
  }

  it('serves remote clients while not paused', async () => {
    assert.equal((await remote()).status, 200);
  });

  it('follows gatehouse pause within one second: 503 for remote clients, 200 locally', async () => {
    await run(process.execPath, ['out/cli/gatehouse.js', 'pause', '--data-dir', h.dataDir]);
    const res = await remoteUntil(503);
    assert.equal(res.status, 503);
    assert.deepEqual(res.json(), { error: 'remote access is paused on this computer' });
    assert.equal((await local()).status, 200);
  });

  it('answers a paused remote client before checking its token or touching Ollama', async () => {
    const before = h.fake.requests.length;
    assert.equal((await remote('/api/tags', {})).status, 503);
    assert.equal((await remote('/api/tags', bearer('garbage'))).status, 503);
    assert.equal(h.fake.requests.length, before);
  });

  it('follows gatehouse resume within one second', async () => {
    await run(process.execPath, ['out/cli/gatehouse.js', 'resume', '--data-dir', h.dataDir]);
    assert.equal((await remoteUntil(200)).status, 200);
  });

  it('keeps the switch across restarts (it is stored, not in memory)', async () => {
    h.core.store.setSetting('paused', true, 'tray');
    const restarted = await createCore({ dataDir: h.dataDir, log: silentLogger, tls: false, overrides: { host: '127.0.0.1', port: 0 } });
    try {
      assert.equal(restarted.settings().paused, true);
    } finally {
      await restarted.close();
      h.core.store.setSetting('paused', false, 'tray');
    }
  });
});
