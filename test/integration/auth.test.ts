import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { mintToken } from '../../main/auth/token-format';
import { bearer, call, startHarness } from '../helpers';

const run = promisify(execFile);
const CLI = 'out/cli/gatehouse.js';

describe('authentication at the gateway', async () => {
  const h = await startHarness();
  const { ca } = h;

  it('with no token created yet, says how to create one', async () => {
    const res = await call(`${h.url}/api/tags`, { ca });
    assert.equal(res.status, 401);
    assert.match(res.json<{ error: string }>().error, /no API tokens yet.*gatehouse token create --name/);
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="gatehouse"');
  });

  it('fails closed for loopback clients too', async () => {
    h.token('someone');
    const res = await call(`${h.url}/api/tags`, { ca });
    assert.equal(res.status, 401);
    assert.match(res.text, /API token is required/);
    assert.equal(h.fake.requests.length, 0);
  });

  it('refuses garbage, a token with a broken checksum and an unknown well-formed token', async () => {
    const real = h.token('checksum');
    const flipped = real.slice(0, -1) + (real.endsWith('A') ? 'B' : 'A');
    for (const [candidate, pattern] of [
      ['hello', /not a Gatehouse API token/],
      [flipped, /looks mistyped: .*Check the characters/],
      [mintToken(), /unknown here: it was revoked and deleted, or belongs to another Gatehouse/],
    ] as const) {
      const res = await call(`${h.url}/api/tags`, { ca, headers: bearer(candidate) });
      assert.equal(res.status, 401);
      assert.match(res.json<{ error: string }>().error, pattern);
    }
    assert.equal(h.fake.requests.length, 0);
  });

  it('speaks OpenAI\'s error shape on /v1 so SDKs show the message', async () => {
    const res = await call(`${h.url}/v1/models`, { ca, headers: bearer('nonsense') });
    assert.equal(res.status, 401);
    const body = res.json<{ error: { message: string; type: string; code: string } }>();
    assert.equal(body.error.type, 'authentication_error');
    assert.equal(body.error.code, 'token_malformed');
  });

  it('refuses an expired token and says when it expired', async () => {
    const token = h.token('short-lived', { expiresAt: Date.now() + 300 });
    assert.equal((await call(`${h.url}/api/version`, { ca, headers: bearer(token) })).status, 200);
    await new Promise((r) => setTimeout(r, 350));
    const res = await call(`${h.url}/api/version`, { ca, headers: bearer(token) });
    assert.equal(res.status, 401);
    assert.match(res.json<{ error: string }>().error, /"short-lived" expired on \d{4}-/);
  });

  it('refuses a token revoked by the CLI within one second, at a running server', async () => {
    const token = h.token('to-revoke');
    assert.equal((await call(`${h.url}/api/version`, { ca, headers: bearer(token) })).status, 200);
    await run(process.execPath, [CLI, 'token', 'revoke', 'to-revoke', '--data-dir', h.dataDir]);
    const revokedAt = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < 1000) {
      status = (await call(`${h.url}/api/version`, { ca, headers: bearer(token) })).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(status, 401, 'still accepted a second after revocation');
    const res = await call(`${h.url}/api/version`, { ca, headers: bearer(token) });
    assert.match(res.json<{ error: string }>().error, /"to-revoke" was revoked/);
  });

  it('accepts a token created by the CLI while the server runs', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'token', 'create', '--name', 'from-cli', '--json', '--data-dir', h.dataDir]);
    const created = JSON.parse(stdout) as { token: string };
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await call(`${h.url}/api/version`, { ca, headers: bearer(created.token) })).status, 200);
  });

  it('refuses admin routes to an inference token, before anything reaches Ollama', async () => {
    const token = h.token('runner');
    const before = h.fake.requests.length;
    const res = await call(`${h.url}/api/pull`, { ca, headers: bearer(token), body: { model: 'llama3.2' } });
    assert.equal(res.status, 403);
    assert.match(res.json<{ error: string }>().error, /may run models but not manage them/);
    assert.equal(h.fake.requests.length, before);
  });

  it('records when a token was last used, off the request path', async () => {
    const token = h.token('tracked');
    assert.equal(h.core.tokens.get('tracked').lastUsedAt, null);
    await call(`${h.url}/api/version`, { ca, headers: bearer(token) });
    h.core.verifier.flushLastUsed();
    const used = h.core.tokens.get('tracked').lastUsedAt;
    assert.ok(used !== null && Date.now() - used < 5000);
  });
});

describe('trustLoopback', async () => {
  const h = await startHarness({ overrides: { trustLoopback: true }, isLocalClient: (ip) => ip === '127.0.0.1' || ip === '::ffff:127.0.0.1' });

  it('lets this computer in without a token when turned on', async () => {
    assert.equal((await call(`${h.url}/api/tags`, { ca: h.ca })).status, 200);
  });

  it('still demands a token from other computers', async () => {
    const res = await call(`https://127.0.0.1:${h.info.port}/api/tags`, { ca: h.ca, localAddress: '127.0.0.2' });
    assert.equal(res.status, 401);
  });
});
