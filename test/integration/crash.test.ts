import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { Store } from '../../main/store/store';
import { startFakeOllama } from '../fixtures/fake-ollama';
import { bearer, call, tempDir } from '../helpers';

const run = promisify(execFile);
const CLI = 'out/cli/gatehouse.js';

describe('kill -9 during load', () => {
  it('leaves a database that opens cleanly, with every row flushed before the kill and no token or setting lost', async () => {
    const fake = await startFakeOllama({ record: false });
    after(() => fake.close());
    const dataDir = tempDir();
    const token = (JSON.parse((await run(process.execPath, [CLI, 'token', 'create', '--name', 'survivor', '--json', '--data-dir', dataDir])).stdout) as { token: string }).token;
    await run(process.execPath, [CLI, 'config', 'set', 'defaultRpm', '7', '--data-dir', dataDir]);

    const child = spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0', '--upstream', fake.url]);
    after(() => child.kill('SIGKILL'));
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    const start = Date.now();
    while (!/Remote access/.test(output) && Date.now() - start < 10_000) await new Promise((r) => setTimeout(r, 50));
    const url = /https:\/\/127\.0\.0\.1:\d+/.exec(output)?.[0];
    assert.ok(url, output);
    const ca = readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8');
    const chat = () => call(`${url}/api/chat`, { ca, headers: bearer(token), body: { model: 'llama3.2', messages: [{ role: 'user', content: 'x' }], stream: false } });

    for (let i = 0; i < 20; i++) assert.equal((await chat()).status, 200);
    await new Promise((r) => setTimeout(r, 1500)); // past the 1 s flush: these 20 are on disk

    // Load for at most a second, killed half-way through.
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const load = Array.from({ length: 8 }, async () => {
      const until = Date.now() + 1000;
      while (Date.now() < until) await chat().catch(() => undefined);
    });
    await new Promise((r) => setTimeout(r, 400));
    child.kill('SIGKILL');
    await exited;
    await Promise.all(load);

    const store = Store.open(dataDir);
    try {
      assert.equal(store.db.pragma('integrity_check', { simple: true }), 'ok');
      const rows = store.metering.requestsSince(0);
      assert.ok(rows.length >= 20, `only ${rows.length} request rows survived`);
      assert.ok(rows.slice(0, 20).every((r) => r.status === 200 && r.tokenName === 'survivor'));
      const tokens = store.tokens.all();
      assert.equal(tokens.length, 1);
      assert.equal(tokens[0]?.name, 'survivor');
      assert.equal(store.settings.load().settings.defaultRpm, 7);
      assert.ok(store.metering.auditSince(0).some((a) => a.action === 'token.created'));
    } finally {
      store.close();
    }
    const list = await run(process.execPath, [CLI, 'token', 'list', '--json', '--data-dir', dataDir]);
    assert.equal((JSON.parse(list.stdout) as unknown[]).length, 1);
  });
});
