import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { startFakeWebapp } from '../fixtures/fake-webapp';
import { call, eventually, startHarness } from '../helpers';

describe('the web app gate', async () => {
  const app = await startFakeWebapp();
  // 127.0.0.1 is this computer; the other loopback addresses stand in for teammates' computers.
  const h = await startHarness({ isLocalClient: (ip) => ip === '127.0.0.1' || ip === '::ffff:127.0.0.1', overrides: { webappUpstream: app.url, webappPort: 0, webappTrustedHeader: 'email' } });
  const web = h.info.webapp!;
  const base = `https://127.0.0.1:${web.port}`;
  const ca = h.ca!;
  const allowed = h.token('Ann Lee', { web: true });
  const apiOnly = h.token('api-only');
  let address = 40;
  const signIn = (token: string) =>
    call(`${base}/.gatehouse/signin`, { ca, body: `token=${encodeURIComponent(token)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, localAddress: `127.0.0.${++address}` });
  const cookieOf = (res: { headers: Record<string, unknown> }) => String(([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? [])[0] ?? '').split(';')[0]!;

  it('sends a browser without a session to the sign-in page, never to the app', async () => {
    const before = app.seen.length;
    const page = await call(`${base}/`, { ca, headers: { accept: 'text/html' } });
    assert.equal(page.status, 302);
    assert.equal(page.headers.location, '/.gatehouse/signin');
    const api = await call(`${base}/whoami`, { ca });
    assert.equal(api.status, 401);
    const form = await call(`${base}/.gatehouse/signin`, { ca });
    assert.equal(form.status, 200);
    assert.match(form.text, /Your Gatehouse token/);
    assert.match(String(form.headers['content-security-policy']), /default-src 'none'/);
    assert.equal(app.seen.length, before, 'nothing reached the app');
  });

  it('refuses a token without the web permission, and a wrong one, as security events', async () => {
    const refused = await signIn(apiOnly);
    assert.equal(refused.status, 403);
    assert.match(refused.text, /may not open the web app.*--web/);
    assert.equal(refused.headers['set-cookie'], undefined);
    const wrong = await signIn('gth_wrong');
    assert.equal(wrong.status, 401);
    const foreign = await call(`${base}/.gatehouse/signin`, { ca, body: `token=${allowed}`, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' }, localAddress: '127.0.0.60' });
    assert.equal(foreign.status, 403, 'a form on another site cannot sign anyone in');
    assert.equal(foreign.headers['set-cookie'], undefined);
    const sandboxed = await call(`${base}/.gatehouse/signin`, { ca, body: `token=${allowed}`, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'null', 'sec-fetch-site': 'cross-site' }, localAddress: '127.0.0.61' });
    assert.equal(sandboxed.status, 403, 'nor one in a sandboxed frame of another site');
    h.core.metering.flush();
    assert.ok(h.core.store.metering.securitySince(0).filter((e) => e.kind === 'web_signin_failed').length >= 2);
  });

  it('signs in with a Secure HttpOnly cookie; the app sees who it is, never the cookie or a spoofed identity', async () => {
    const res = await signIn(allowed);
    assert.equal(res.status, 303, res.text);
    const setCookie = String(([] as string[]).concat(res.headers['set-cookie'] as string[])[0]);
    assert.match(setCookie, /^__Host-gatehouse-web=/);
    assert.match(setCookie, /Secure/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Lax/);
    const cookie = cookieOf(res);
    const who = await call(`${base}/whoami`, { ca, headers: { cookie: `${cookie}; app-session=abc`, 'x-trusted-user-email': 'boss@example.com', 'X-Trusted-User-Name': 'boss' } });
    assert.equal(who.status, 200, who.text);
    const headers = who.json<Record<string, string>>();
    assert.equal(headers['x-trusted-user-email'], 'ann-lee@gatehouse.local');
    assert.equal(headers['x-trusted-user-name'], 'Ann Lee');
    assert.equal(headers.cookie, 'app-session=abc', "the app's own cookies pass, Gatehouse's does not");
    assert.match(String(who.headers['set-cookie']), /app-session=abc/, "the app's cookies reach the browser");
  });

  it('passes streams and bodies through', async () => {
    const cookie = cookieOf(await signIn(allowed));
    const events = await call(`${base}/events`, { ca, headers: { cookie } });
    assert.equal(events.text, 'data: tick 1\n\ndata: tick 2\n\ndata: tick 3\n\n');
    const form = await call(`${base}/echo`, { ca, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&token=not-ours' });
    assert.deepEqual(form.json(), { bytes: 18, type: 'application/x-www-form-urlencoded' });
    const big = await call(`${base}/echo`, { ca, headers: { cookie, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(5_000_000, 1) });
    assert.deepEqual(big.json(), { bytes: 5_000_000, type: 'application/octet-stream' });
  });

  it('carries WebSockets with a session, refuses them without, and closes them when the token is revoked', async () => {
    const open = (headers: Record<string, string>) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`wss://127.0.0.1:${web.port}/ws`, { ca, headers });
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
        ws.once('error', reject);
      });
    await assert.rejects(open({}), /refused with 401/);
    const token = h.token('ws-user', { web: true });
    const cookie = cookieOf(await signIn(token));
    const ws = await open({ cookie });
    const reply = await new Promise<string>((resolve) => {
      ws.once('message', (d: Buffer) => resolve(d.toString('utf8')));
      ws.send('hello');
    });
    assert.equal(reply, 'echo: hello');
    assert.equal(app.seen.at(-1)!['x-trusted-user-name'], 'ws-user', 'the upgrade carried who it is');
    const closed = new Promise((resolve) => ws.once('close', resolve));
    const revokedAt = Date.now();
    h.core.tokens.revoke('ws-user');
    await closed;
    assert.ok(Date.now() - revokedAt < 1000, `closed after ${Date.now() - revokedAt} ms`);
    assert.equal((await call(`${base}/whoami`, { ca, headers: { cookie } })).status, 401, 'the session ended too');
  });

  it('ends the sessions of a token that loses the web permission, and signs out', async () => {
    const token = h.token('loses-web', { web: true });
    const cookie = cookieOf(await signIn(token));
    assert.equal((await call(`${base}/whoami`, { ca, headers: { cookie } })).status, 200);
    h.core.tokens.update('loses-web', { web: false });
    await eventually(async () => (await call(`${base}/whoami`, { ca, headers: { cookie } })).status === 401, 1000, 'the session to end');
    const again = cookieOf(await signIn(allowed));
    const out = await call(`${base}/.gatehouse/signout`, { ca, method: 'POST', headers: { cookie: again } });
    assert.equal(out.status, 303);
    assert.equal((await call(`${base}/whoami`, { ca, headers: { cookie: again } })).status, 401, 'a signed-out cookie signs in nobody');
  });

  it('refuses hostile sign-ins and forged cookies with a clear 4xx, and signs nobody in', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const cases: Array<[string, Parameters<typeof call>[1], number]> = [
      ['an oversized body', { body: `token=${'a'.repeat(10_000)}`, headers: form }, 413],
      ['no token field', { body: 'user=admin', headers: form }, 401],
      ['JSON instead of a form', { body: { token: allowed }, headers: {} }, 415],
      ['a token with a NUL', { body: `token=${encodeURIComponent(`${allowed}\u0000`)}`, headers: form }, 401],
    ];
    for (const [name, options, status] of cases) {
      const res = await call(`${base}/.gatehouse/signin`, { ca, ...options, localAddress: `127.0.0.${++address}` });
      assert.equal(res.status, status, `${name}: ${res.text.slice(0, 200)}`);
      assert.equal(res.headers['set-cookie'], undefined, name);
    }
    const good = cookieOf(await signIn(allowed));
    const [name, value] = good.split('=') as [string, string];
    const [header, payload, signature] = value.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), tid: 'tk_someone_else' })).toString('base64url');
    for (const cookie of [`${name}=${header}.${forged}.${signature}`, `${name}=${header}.${payload}.${signature.slice(0, -2)}xx`, `${name}=eyJhbGciOiJub25lIn0.${payload}.`, `${name}=${'x'.repeat(3000)}`]) {
      assert.equal((await call(`${base}/whoami`, { ca, headers: { cookie } })).status, 401, cookie.slice(0, 60));
    }
  });

  it('is paused with remote access: teammates get 503, this computer still gets in', async () => {
    const cookie = cookieOf(await signIn(allowed));
    h.core.store.setSetting('paused', true, 'tray');
    try {
      await eventually(async () => (await call(`${base}/whoami`, { ca, headers: { cookie }, localAddress: '127.0.0.70' })).status === 503, 2000, 'the pause');
      assert.equal((await call(`${base}/whoami`, { ca, headers: { cookie }, localAddress: '127.0.0.1' })).status, 200);
    } finally {
      h.core.store.setSetting('paused', false, 'tray');
    }
  });

  it('answers only to its own names', async () => {
    const res = await call(`${base}/.gatehouse/signin`, { ca, servername: 'localhost', headers: { host: 'evil.example' } });
    assert.equal(res.status, 421);
  });
});
