import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyFingerprint, parseOllamaKey, SignatureChecker, signedCredentialFrom } from '../../main/auth/ollama-keys';
import { OllamaIdentity } from '../fixtures/ollama-signer';
import { call, eventually, startHarness } from '../helpers';

/** A key made by OpenSSH's ssh-keygen -t ed25519, and what ssh-keygen -lf prints for it. */
const OPENSSH_LINE = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPqybF8CwknDwKs9X+O46u2/k29K6osPdadPJ5G2r08Y bob@laptop';
const OPENSSH_FINGERPRINT = 'SHA256:cSTuMhaDSRen5mplN/4QNzuvrcSbp6BTibxp9Bsq5BM';

/** RFC 8032, section 7.1, TEST 2: an ed25519 public key, a one-byte message ("r") and its signature. */
const RFC8032 = {
  publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
  message: 'r',
  signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
};

describe('ollama public keys', () => {
  it('reads the .pub line ssh-keygen writes, with the fingerprint ssh-keygen -lf prints', () => {
    const key = parseOllamaKey(`  ${OPENSSH_LINE}\n`);
    assert.equal(key.fingerprint, OPENSSH_FINGERPRINT);
    assert.equal(key.comment, 'bob@laptop');
  });

  it('verifies the published RFC 8032 vector through the SSH wire format', () => {
    const wire = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), Buffer.from(RFC8032.publicKey, 'hex')]).toString('base64');
    const credential = signedCredentialFrom(`${wire}:${Buffer.from(RFC8032.signature, 'hex').toString('base64')}`)!;
    assert.ok(credential);
    const checker = new SignatureChecker();
    assert.equal(checker.verify(credential, [RFC8032.message]), true);
    assert.equal(checker.verify(credential, ['s']), false);
  });

  it('refuses what is not an ed25519 public key, saying what to paste instead', () => {
    const [type, blob] = OPENSSH_LINE.split(' ') as [string, string];
    const cases: Array<[string, RegExp]> = [
      ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----', /private key: never share it/],
      [`ssh-rsa ${blob}`, /not an ollama public key/],
      [`${type} ${blob.slice(0, -4)}`, /damaged/],
      [`${type} ${blob}AAAA`, /damaged/],
      [`${type} ${blob.replace('AAAAC3', 'AAAAC4')}`, /damaged/],
      ['', /not an ollama public key/],
      ['x'.repeat(600), /too long/],
    ];
    for (const [line, message] of cases) assert.throws(() => parseOllamaKey(line), message, line.slice(0, 40));
    assert.equal(signedCredentialFrom(`Bearer gth_x`), null);
    assert.equal(signedCredentialFrom(`${blob}:${'A'.repeat(10)}`), null, 'a signature that is not 64 bytes');
    assert.equal(signedCredentialFrom(`${blob}:${'A'.repeat(86)}==:x`), null);
  });
});

describe('requests signed by the ollama command (OLLAMA_AUTH=1)', async () => {
  const h = await startHarness();
  const bob = new OllamaIdentity('bob@laptop');
  const ops = new OllamaIdentity('ops@server');
  const stranger = new OllamaIdentity('stranger@elsewhere');
  h.core.tokens.create({ name: 'bob', ollamaKeys: [bob.line] });
  h.core.tokens.create({ name: 'ops', scope: 'admin', ollamaKeys: [ops.line] });
  let address = 10;
  /** Each refusal from its own address, so its security event is stored at once and alone. */
  const send = (who: OllamaIdentity, method: string, path: string, options: { body?: object; ts?: number; signedPath?: string } = {}) => {
    const signed = who.sign(method, path, options);
    return call(`${h.url}${signed.path}`, { method, headers: signed.headers, ca: h.ca!, localAddress: `127.0.0.${++address}`, ...(options.body ? { body: options.body } : {}) });
  };
  const eventFor = (ip: number) => {
    h.core.metering.flush();
    return h.core.store.metering.securitySince(0).find((e) => e.ip === `127.0.0.${ip}`);
  };

  it('chats as the token the key is enrolled with; Ollama gets neither the signature nor ts', async () => {
    const res = await send(bob, 'POST', '/api/chat', { body: { model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }], stream: false } });
    assert.equal(res.status, 200, res.text);
    const upstream = h.fake.requests.at(-1)!;
    assert.equal(upstream.url, '/api/chat');
    assert.equal(upstream.headers.authorization, undefined);
    await eventually(() => (h.core.metering.flush(), h.core.store.metering.requestsSince(0).some((r) => r.tokenName === 'bob' && r.route === 'POST /api/chat')), 3000, 'the request metered as bob');
  });

  it('answers the heartbeat (HEAD /) and two identical requests in one second', async () => {
    const ts = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 2; i++) assert.equal((await send(bob, 'HEAD', '/', { ts })).status, 200);
    assert.equal((await send(bob, 'GET', '/api/tags', { ts })).status, 200);
    assert.equal((await send(bob, 'GET', '/api/tags', { ts })).status, 200);
  });

  it('applies the token scope: pull with the admin token, not with the inference one', async () => {
    const pulled = await send(ops, 'POST', '/api/pull', { body: { model: 'qwen3:8b', stream: false } });
    assert.equal(pulled.status, 200, pulled.text);
    await eventually(() => (h.core.metering.flush(), h.core.store.metering.auditSince(0).some((a) => a.action === 'model.pulled' && a.actor === 'api' && a.detail === 'token ops')), 3000, 'the audit row naming the token');
    const refused = await send(bob, 'POST', '/api/pull', { body: { model: 'qwen3:8b', stream: false } });
    assert.equal(refused.status, 403);
  });

  it('refuses a key no token has, a tampered path, a stale or missing ts and a revoked token, each in Ollama\'s shape', async () => {
    const cases: Array<[string, () => Promise<{ status: number; text: string }>, RegExp, string | null]> = [
      ['unknown key', () => send(stranger, 'GET', '/api/tags'), /not enrolled with any token/, null],
      ['tampered path', () => send(bob, 'POST', '/api/chat', { body: { model: 'llama3.2', messages: [] }, signedPath: '/api/tags' }), /signature does not match/, 'bob'],
      ['stale ts', () => send(bob, 'GET', '/api/tags', { ts: Math.floor(Date.now() / 1000) - 600 }), /600 s behind this computer's clock/, 'bob'],
      ['ahead ts', () => send(bob, 'GET', '/api/tags', { ts: Math.floor(Date.now() / 1000) + 900 }), /900 s ahead of/, 'bob'],
      ['path not plain', () => send(bob, 'GET', '//api/tags', { signedPath: '/api/tags' }), /plain path/, 'bob'],
    ];
    for (const [name, run, message, token] of cases) {
      const res = await run();
      assert.equal(res.status, 401, `${name}: ${res.text}`);
      const body = JSON.parse(res.text) as { error: string };
      assert.match(body.error, message, name);
      const event = eventFor(address)!;
      assert.equal(event.kind, 'auth_failed', name);
      assert.equal(event.fingerprint, keyFingerprint(name === 'unknown key' ? stranger.blob : bob.blob), name);
      assert.equal(event.tokenName ?? null, token, name);
    }
    const missing = await call(`${h.url}/api/tags`, { headers: bob.sign('GET', '/api/tags').headers, ca: h.ca! });
    assert.equal(missing.status, 401);
    assert.match(missing.text, /needs one ts=<unix seconds>/);
    const stored = JSON.stringify(h.core.store.metering.securitySince(0));
    assert.ok(!stored.includes(bob.sign('GET', '/api/tags').headers.authorization.split(':')[1]!), 'no signature is stored');
  });

  it("points the ollama command's refusal at a page that says what happened, which shows only the public key", async () => {
    const res = await send(stranger, 'GET', '/api/tags');
    const { signin_url: help } = res.json<{ signin_url: string }>();
    assert.ok(help.startsWith(`${h.url}/gatehouse/ollama-key?key=`), help);
    const page = await call(help, { ca: h.ca! });
    assert.equal(page.status, 200);
    assert.match(page.text, /belongs to no token on this Gatehouse yet/);
    assert.ok(page.text.includes(keyFingerprint(stranger.blob)));
    assert.ok(page.text.includes(`ssh-ed25519 ${stranger.blob}`));
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    const hostile = await call(`${h.url}/gatehouse/ollama-key?key=%3Cscript%3Ealert(1)%3C%2Fscript%3E&why=%3Cb%3E`, { ca: h.ca! });
    assert.equal(hostile.status, 200);
    assert.ok(!hostile.text.includes('<script>'), 'nothing given is echoed unescaped');
    assert.match(hostile.text, /link is incomplete/);
  });

  it('refuses the key of a revoked token, and lets another token take the key over', async () => {
    const carol = new OllamaIdentity('carol@laptop');
    h.core.tokens.create({ name: 'carol', ollamaKeys: [carol.line] });
    assert.equal((await send(carol, 'GET', '/api/tags')).status, 200);
    assert.throws(() => h.core.tokens.create({ name: 'carol-2', ollamaKeys: [carol.line] }), /already belongs to the token "carol"/);
    h.core.tokens.revoke('carol');
    await eventually(async () => (await send(carol, 'GET', '/api/tags')).status === 401, 3000, 'the revocation to reach the gateway');
    const revoked = await send(carol, 'GET', '/api/tags');
    assert.match(revoked.json<{ error: string }>().error, /"carol" \(signed with the ollama key SHA256:[^)]+\) was revoked/);
    h.core.tokens.create({ name: 'carol-2', ollamaKeys: [carol.line] });
    await eventually(async () => (await send(carol, 'GET', '/api/tags')).status === 200, 3000, 'the new token to reach the gateway');
  });

  it('keeps bearer tokens working beside signatures', async () => {
    const res = await call(`${h.url}/api/tags`, { headers: { authorization: `Bearer ${h.token('plain')}` }, ca: h.ca! });
    assert.equal(res.status, 200);
  });
});
