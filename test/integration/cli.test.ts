import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { Store } from '../../main/store/store';
import { startFakeOllama } from '../fixtures/fake-ollama';
import { bearer, call, open, tempDir } from '../helpers';
import { after } from 'node:test';
import { storeRequests } from '../../main/metering/hourly';
import { keyFingerprint } from '../../main/auth/ollama-keys';
import { OllamaIdentity } from '../fixtures/ollama-signer';

const CLI = 'out/cli/gatehouse.js';
const exec = promisify(execFile);

/** Runs the CLI; resolves with its exit code and output instead of throwing on non-zero. */
async function gatehouse(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the CLI contract', () => {
  const dataDir = tempDir();

  it('creates a token and prints it once as JSON with the documented fields', async () => {
    const res = await gatehouse(['token', 'create', '--name', 'ci', '--scope', 'admin', '--models', 'llama*,qwen*', '--deny', 'qwen2.5:72b', '--rpm', '30', '--concurrency', '2', '--expires', '30d', '--json', '--data-dir', dataDir]);
    assert.equal(res.code, 0, res.stderr);
    const created = JSON.parse(res.stdout) as Record<string, string>;
    assert.deepEqual(Object.keys(created).sort(), ['expiresAt', 'id', 'name', 'scope', 'token']);
    assert.match(created.token!, /^gth_/);
    assert.equal(created.scope, 'admin');
    assert.ok(Date.parse(created.expiresAt!) > Date.now() + 29 * 86_400_000);
  });

  it('lists tokens with their policy and never a secret', async () => {
    const res = await gatehouse(['token', 'list', '--json', '--data-dir', dataDir]);
    assert.equal(res.code, 0);
    const [token] = JSON.parse(res.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(token?.allowModels, ['llama*', 'qwen*']);
    assert.deepEqual(token?.denyModels, ['qwen2.5:72b']);
    assert.equal(token?.rpm, 30);
    assert.deepEqual([token?.weight, token?.priority, token?.queue, token?.dailyTokens, token?.monthlyTokens], [1, 'interactive', 16, null, null], 'the GPU share and budgets too');
    assert.ok(!res.stdout.includes('gth_'));
    const table = await gatehouse(['token', 'list', '--data-dir', dataDir]);
    assert.match(table.stdout, /ci \(….{4}\)\s+admin\s+llama\*,qwen\* not qwen2.5:72b\s+30\/min, 2 at once/);
  });

  it('gives a token the documented default expiry of 90 days, and none with --expires never', async () => {
    const own = tempDir();
    const plain = JSON.parse((await gatehouse(['token', 'create', '--name', 'a', '--json', '--data-dir', own])).stdout) as { expiresAt: string };
    assert.ok(Math.abs(Date.parse(plain.expiresAt) - (Date.now() + 90 * 86_400_000)) < 120_000, plain.expiresAt);
    const never = JSON.parse((await gatehouse(['token', 'create', '--name', 'b', '--expires', 'never', '--json', '--data-dir', own])).stdout) as { expiresAt: string | null };
    assert.equal(never.expiresAt, null);
  });

  it('enrols ollama keys with --ollama-key, lists their fingerprints, and removes them with --no-ollama-key', async () => {
    const own = tempDir();
    const bob = new OllamaIdentity('bob@laptop');
    const other = new OllamaIdentity('bob@desktop');
    const created = await gatehouse(['token', 'create', '--name', 'bob', '--ollama-key', bob.line, '--data-dir', own]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, new RegExp(`The ollama key ${keyFingerprint(bob.blob).replace(/[+/]/g, '\\$&')} bob@laptop acts as it too`));
    assert.equal((await gatehouse(['token', 'update', 'bob', '--ollama-key', other.line, '--data-dir', own])).code, 0);
    const keys = () => gatehouse(['token', 'list', '--json', '--data-dir', own]).then((r) => (JSON.parse(r.stdout) as Array<{ ollamaKeys: Array<{ fingerprint: string; comment: string }> }>)[0]!.ollamaKeys);
    assert.deepEqual((await keys()).map((k) => [k.fingerprint, k.comment]), [[keyFingerprint(bob.blob), 'bob@laptop'], [keyFingerprint(other.blob), 'bob@desktop']]);
    assert.match((await gatehouse(['token', 'list', '--data-dir', own])).stdout, new RegExp(`OLLAMA KEYS[\\s\\S]*${keyFingerprint(bob.blob).slice(0, 20).replace(/[+/]/g, '\\$&')}`));
    assert.equal((await gatehouse(['token', 'update', 'bob', '--no-ollama-key', '--ollama-key', other.line, '--data-dir', own])).code, 0);
    assert.deepEqual((await keys()).map((k) => k.comment), ['bob@desktop'], 'cleared, then the one given after');
    assert.equal((await gatehouse(['token', 'update', 'bob', '--no-ollama-key', '--data-dir', own])).code, 0);
    assert.deepEqual(await keys(), []);
    const leaked = await gatehouse(['token', 'create', '--name', 'eve', '--ollama-key', '-----BEGIN OPENSSH PRIVATE KEY-----', '--data-dir', own]);
    assert.equal(leaked.code, 2);
    assert.match(leaked.stderr, /private key: never share it/);
  });

  it('reads the data folder from GATEHOUSE_DATA_DIR', async () => {
    const res = await gatehouse(['token', 'list', '--json'], { GATEHOUSE_DATA_DIR: dataDir });
    assert.equal((JSON.parse(res.stdout) as unknown[]).length, 1);
  });

  it('exits 2 with one line on stderr for bad usage', async () => {
    for (const args of [['token', 'create'], ['token', 'create', '--name', 'x', '--bogus'], ['frobnicate'], ['token', 'create', '--name', 'y', '--expires', 'soon']]) {
      const res = await gatehouse([...args, '--data-dir', dataDir]);
      assert.equal(res.code, 2, args.join(' '));
      assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
      assert.match(res.stderr, /^gatehouse: /);
    }
  });

  it('exits 1 with one line on stderr when a command fails', async () => {
    const res = await gatehouse(['token', 'revoke', 'nobody', '--data-dir', dataDir]);
    assert.equal(res.code, 1);
    assert.equal(res.stderr.trim(), 'gatehouse: No token has the id or name "nobody". List them with: gatehouse token list');
  });

  it('reports status as JSON', async () => {
    await gatehouse(['pause', '--data-dir', dataDir]);
    const res = await gatehouse(['status', '--json', '--data-dir', dataDir], { GATEHOUSE_PORT: '1', GATEHOUSE_UPSTREAM: 'http://127.0.0.1:1' });
    const status = JSON.parse(res.stdout) as Record<string, unknown>;
    assert.equal(status.remoteAccess, 'paused');
    assert.equal(status.gateway, 'not running');
    assert.equal(status.ollama, 'not reachable');
    assert.equal(status.activeTokens, 1);
  });

  it('reads and changes settings, refusing bad values with exit 2', async () => {
    assert.equal((await gatehouse(['config', 'set', 'defaultRpm', '120', '--data-dir', dataDir])).stdout.trim(), 'defaultRpm = 120');
    assert.equal((await gatehouse(['config', 'get', 'defaultRpm', '--data-dir', dataDir])).stdout.trim(), '120');
    const port = await gatehouse(['config', 'set', 'port', '8443', '--data-dir', dataDir]);
    assert.match(port.stdout, /next start/);
    const bad = await gatehouse(['config', 'set', 'port', 'eighty', '--data-dir', dataDir]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /port must be a whole number/);
    const unknown = await gatehouse(['config', 'set', 'colour', 'blue', '--data-dir', dataDir]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no setting "colour"/);
    const all = JSON.parse((await gatehouse(['config', '--json', '--data-dir', dataDir])).stdout) as Record<string, unknown>;
    assert.equal(all.port, 8443);
    assert.equal(all.trustLoopback, false);
    await gatehouse(['config', 'set', 'port', '11443', '--data-dir', dataDir]);
  });

  it('shows the audit log with the CLI as the actor', async () => {
    const res = await gatehouse(['audit', '--json', '--data-dir', dataDir]);
    const actions = (JSON.parse(res.stdout) as Array<{ actor: string; action: string; target: string }>).map((a) => `${a.actor} ${a.action} ${a.target}`);
    assert.ok(actions.includes('cli token.created ci'), actions.join('; '));
    assert.ok(actions.includes('cli remote.paused paused'));
    assert.ok(actions.includes('cli setting.changed defaultRpm'));
  });

  it('sums usage by token, model or hour, as a table, JSON or CSV', async () => {
    const store = Store.open(dataDir);
    const now = Date.now();
    const row = (tokenName: string, model: string, durationMs: number, promptTokens: number, completionTokens: number, status = 200) => ({
      at: now - 60_000, tokenId: tokenName, tokenName, model, route: 'POST /api/chat', status, durationMs, ttfbMs: 5, promptTokens, completionTokens,
      streamed: true, aborted: false, error: status >= 400 ? 'HTTP 500' : null, ip: '127.0.0.1', bytesIn: 10, bytesOut: 100, overheadMs: 0.2,
    });
    storeRequests(store.metering, [row('ann', 'llama3.2:latest', 100, 10, 20), row('ann', 'qwen2.5:7b', 300, 1, 2), row('bob', 'llama3.2:latest', 200, 5, 5, 500)]);
    storeRequests(store.metering, [{ ...row('old', 'x:latest', 1, 1, 1), at: now - 30 * 86_400_000 }]);
    store.close();
    const byModel = JSON.parse((await gatehouse(['usage', '--by', 'model', '--json', '--data-dir', dataDir])).stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(byModel.map((r) => [r.model, r.requests, r.errors, r.tokensIn, r.tokensOut, r.p50ms]), [
      ['llama3.2:latest', 2, 1, 15, 25, 100],
      ['qwen2.5:7b', 1, 0, 1, 2, 300],
    ]);
    const csv = (await gatehouse(['usage', '--by', 'token', '--csv', '--data-dir', dataDir])).stdout.trim().split('\n');
    assert.equal(csv[0], 'token,requests,errors,aborted,tokensIn,tokensOut,p50ms,p95ms,ttfbP50ms');
    assert.equal(csv[1], 'ann,2,0,0,11,22,100,300,5');
    const longer = JSON.parse((await gatehouse(['usage', '--since', '31d', '--json', '--data-dir', dataDir])).stdout) as unknown[];
    assert.equal(longer.length, 3);
    assert.equal((await gatehouse(['usage', '--by', 'colour', '--data-dir', dataDir])).code, 2);
  });

  it('defuses spreadsheet formulas in --csv exactly as the dashboard\'s export does', async () => {
    const dir = tempDir();
    const store = Store.open(dir);
    const hostile = '=HYPERLINK("http://evil.example","click")';
    storeRequests(store.metering, [{ at: Date.now() - 1000, tokenId: 't', tokenName: hostile, model: '@SUM(A1)', route: 'POST /api/chat', status: 200, durationMs: 1, ttfbMs: 1, promptTokens: 1, completionTokens: 1, streamed: false, aborted: false, error: null, ip: '127.0.0.1', bytesIn: 1, bytesOut: 1, overheadMs: 0 }]);
    store.close();
    const csv = (await gatehouse(['usage', '--by', 'token', '--csv', '--data-dir', dir])).stdout.trim().split('\n');
    assert.equal(csv[1]!.split(',')[0], '"\'=HYPERLINK(""http://evil.example""');
    const byModel = (await gatehouse(['usage', '--by', 'model', '--csv', '--data-dir', dir])).stdout.trim().split('\n');
    assert.ok(byModel[1]!.startsWith('"\'@SUM(A1)"'), byModel[1]);
  });

  it('serve --no-supervise says at start when Ollama does not answer', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--data-dir', tempDir(), '--host', '127.0.0.1', '--port', '0', '--upstream', 'http://127.0.0.1:9', '--no-supervise']);
    after(() => child.kill('SIGKILL'));
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    const start = Date.now();
    while (!/Ollama does not answer/.test(output) && Date.now() - start < 10_000) await new Promise((r) => setTimeout(r, 50));
    assert.match(output, /Ollama does not answer at http:\/\/127\.0\.0\.1:9: requests will get 502 until it does\. Start it \(ollama serve\)/);
  });

  it('prints the CA and both fingerprints', async () => {
    const ca = await gatehouse(['tls', 'ca', '--data-dir', dataDir]);
    assert.match(ca.stdout, /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\n$/);
    const fp = await gatehouse(['tls', 'fingerprint', '--data-dir', dataDir]);
    assert.match(fp.stdout, /^CA {6}SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}\nServer {2}SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}\n$/);
  });
});

describe('gatehouse serve', () => {
  it('prints its URLs and CA fingerprint, and on SIGTERM lets a running stream finish, then exits 0', async () => {
    const fake = await startFakeOllama({ chunks: 8, chunkDelayMs: 150 });
    after(() => fake.close());
    const dataDir = tempDir();
    const { stdout } = await exec(process.execPath, [CLI, 'token', 'create', '--name', 'srv', '--json', '--data-dir', dataDir]);
    const token = (JSON.parse(stdout) as { token: string }).token;

    const child = spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0', '--upstream', fake.url]);
    after(() => child.kill('SIGKILL'));
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const start = Date.now();
    while (!/Remote access/.test(output) && Date.now() - start < 10_000) await new Promise((r) => setTimeout(r, 50));
    const url = /https:\/\/127\.0\.0\.1:\d+/.exec(output)?.[0];
    assert.ok(url, output);
    assert.match(output, /CA certificate SHA-256: ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    const ca = readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8');
    assert.equal((await call(`${url}/healthz`, { ca })).text, 'ok');

    const streamed = new Promise<string>((resolve, reject) => {
      open(`${url}/api/generate`, { ca, headers: bearer(token), body: { model: 'llama3.2', prompt: 'x' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
          if (text.split('\n').length === 2) child.kill('SIGTERM'); // first line is in: stop now
        });
        res.on('end', () => resolve(text));
        res.on('error', reject);
      }).on('error', reject);
    });
    const text = await streamed;
    assert.equal(text.trim().split('\n').length, 9, 'the stream was cut short');
    assert.equal((JSON.parse(text.trim().split('\n').pop()!) as { done: boolean }).done, true);
    assert.equal(await exited, 0, output);
    assert.match(output, /SIGTERM: no new requests/);
    assert.match(output, /Stopped\./);
  });

  it('refuses plain HTTP on all interfaces without --insecure, exiting 1', async () => {
    const res = await gatehouse(['serve', '--data-dir', tempDir(), '--no-tls', '--host', '0.0.0.0', '--port', '0']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /clear text.*--insecure/);
  });

  it('says plainly when the port is taken', async () => {
    const fake = await startFakeOllama();
    after(() => fake.close());
    const res = await gatehouse(['serve', '--data-dir', tempDir(), '--host', '127.0.0.1', '--port', String(fake.port)]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`Port ${fake.port} on 127.0.0.1 is already in use`));
  });
});
