import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { call, eventually, startHarness, type CallOptions, type Harness } from '../helpers';

/** A signed-in dashboard client over real HTTPS, as a browser on this computer would be. */
async function signIn(h: Harness) {
  const link = h.core.adminLink()!;
  const code = new URL(link.url).hash.replace('#login=', '');
  const res = await call(`${h.url}/admin/api/session`, { body: { code }, ca: h.ca! });
  assert.equal(res.status, 200, res.text);
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const jar = cookies.map((c) => c.split(';')[0]!).join('; ');
  const csrf = /__Host-gatehouse-csrf=([^;]+)/.exec(jar)![1]!;
  const api = (operation: string, args: unknown = {}, extra: CallOptions = {}) =>
    call(`${h.url}/admin/api/${operation}`, { body: args as object, ca: h.ca!, ...extra, headers: { cookie: jar, 'x-gatehouse-csrf': csrf, ...extra.headers } });
  return { code, cookies, jar, csrf, api };
}

const securityKinds = (h: Harness) => {
  h.core.metering.flush();
  return h.core.store.metering.securitySince(0).map((e) => e.kind);
};

describe('dashboard API sign-in and sessions', async () => {
  const h = await startHarness({ isLocalClient: (ip) => ip === '127.0.0.1' || ip === '::ffff:127.0.0.1' });

  it('exchanges a one-time link for a HttpOnly, Secure, SameSite=Strict session cookie', async () => {
    const { cookies, api } = await signIn(h);
    const session = cookies.find((c) => c.startsWith('__Host-gatehouse-session='))!;
    assert.match(session, /HttpOnly/i);
    assert.match(session, /Secure/i);
    assert.match(session, /SameSite=Strict/i);
    assert.match(session, /Path=\//);
    const overview = await api('getOverview');
    assert.equal(overview.status, 200, overview.text);
    assert.equal(overview.json<{ paused: boolean }>().paused, false);
    assert.equal(overview.headers['cache-control'], 'no-store');
    assert.match(String(overview.headers['content-security-policy']), /default-src 'self'/);
  });

  it('refuses a second use of the same link, clearly, and records it', async () => {
    const { code } = await signIn(h);
    const again = await call(`${h.url}/admin/api/session`, { body: { code }, ca: h.ca! });
    assert.equal(again.status, 401);
    assert.match(again.json<{ error: { message: string; fix: string } }>().error.message, /already used, has expired/);
    assert.match(again.json<{ error: { fix: string } }>().error.fix, /gatehouse admin link/);
    assert.ok(securityKinds(h).includes('admin_auth_failed'));
  });

  it('refuses operations without a session, and with a forged one', async () => {
    const none = await call(`${h.url}/admin/api/listTokens`, { body: {}, ca: h.ca! });
    assert.equal(none.status, 401);
    assert.match(none.text, /not signed in/);
    const forged = await new SignJWT({ sid: 'as_000000000000000000000000', csrf: 'x' })
      .setProtectedHeader({ alg: 'HS256' }).setIssuer('gatehouse').setAudience('gatehouse-admin').setIssuedAt().setExpirationTime('1h')
      .sign(new Uint8Array(32));
    const res = await call(`${h.url}/admin/api/listTokens`, { body: {}, ca: h.ca!, headers: { cookie: `__Host-gatehouse-session=${forged}`, 'x-gatehouse-csrf': 'x' } });
    assert.equal(res.status, 401);
    assert.match(res.text, /not valid/);
    const alg = await call(`${h.url}/admin/api/listTokens`, { body: {}, ca: h.ca!, headers: { cookie: `__Host-gatehouse-session=${forged.split('.').slice(0, 2).join('.')}.` } });
    assert.equal(alg.status, 401);
  });

  it('refuses a state change without the CSRF header, or from another site', async () => {
    const { api, jar } = await signIn(h);
    const noCsrf = await call(`${h.url}/admin/api/setPaused`, { body: { paused: true }, ca: h.ca!, headers: { cookie: jar } });
    assert.equal(noCsrf.status, 403);
    assert.match(noCsrf.text, /anti-forgery/);
    const crossSite = await api('setPaused', { paused: true }, { headers: { origin: 'https://evil.example' } });
    assert.equal(crossSite.status, 403);
    assert.match(crossSite.text, /another website/);
    const fetchMeta = await api('setPaused', { paused: true }, { headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(fetchMeta.status, 403);
    assert.equal(h.core.settings().paused, false, 'nothing changed');
    const sameOrigin = await api('getOverview', {}, { headers: { origin: h.url, 'sec-fetch-site': 'same-origin' } });
    assert.equal(sameOrigin.status, 200);
  });

  it('refuses a foreign Host header (DNS rebinding) before anything else', async () => {
    const { api } = await signIn(h);
    for (const host of ['evil.example', 'evil.example:443', '127.0.0.1.evil.example', '[::2]', 'localhost@evil.example', 'x'.repeat(400)]) {
      const res = await api('getOverview', {}, { headers: { host }, servername: 'localhost' });
      assert.equal(res.status, 421, `Host: ${host}`);
      assert.match(res.text, /own names and addresses/);
    }
    const page = await call(`${h.url}/admin/`, { ca: h.ca!, headers: { host: 'evil.example' }, servername: 'localhost' });
    assert.equal(page.status, 421);
  });

  it('answers only clients on this computer', async () => {
    const res = await call(`${h.url}/admin/api/session`, { body: { code: 'x' }, ca: h.ca!, localAddress: '127.0.0.2' });
    assert.equal(res.status, 403);
    assert.match(res.text, /only be opened on the Gatehouse computer/);
  });

  it('validates arguments against the contract and changes nothing on bad input', async () => {
    const { api, jar, csrf } = await signIn(h);
    const before = (await api('listTokens')).json<unknown[]>().length;
    const cases: Array<[string, unknown, number, RegExp]> = [
      ['noSuchThing', {}, 404, /no operation called/],
      ['__proto__', {}, 404, /no operation called/],
      ['constructor', {}, 404, /no operation called/],
      ['createToken', { name: 'x', scope: 'root' }, 400, /scope/],
      ['createToken', { name: '' }, 400, /name/],
      ['createToken', { name: 'x', extra: 1 }, 400, /Unrecognized key|extra/],
      ['createToken', { name: 'x', rpm: -1 }, 400, /rpm/],
      ['createToken', { name: 'x', allowModels: ['has space'] }, 400, /allowModels/],
      ['createToken', { name: 'x', expiresIn: 'yesterday' }, 400, /expiry/],
      ['createToken', [], 400, /Invalid arguments/],
      ['revokeToken', { token: "tk_' OR 1=1 --" }, 404, /No token has the id or name/],
      ['revokeToken', { token: 'a\u0000b' }, 400, /token id or name/],
      ['revokeToken', { id: 'tk_000000000000' }, 400, /Unrecognized key|id/],
      ['updateToken', { token: 'nobody', changes: { scope: 'root' } }, 400, /scope/],
      ['setPaused', { paused: 'yes' }, 400, /paused/],
      ['updateSettings', { changes: { port: 70000 } }, 400, /port/i],
      ['updateSettings', { changes: { paused: true } }, 400, /not a setting/],
      ['updateSettings', { changes: { host: '0.0.0.0', port: 'many' } }, 400, /port/i],
    ];
    for (const [operation, args, status, message] of cases) {
      const res = await api(operation, args);
      assert.equal(res.status, status, `${operation} ${JSON.stringify(args)}: ${res.text}`);
      assert.match(res.json<{ error: { message: string } }>().error.message, message);
    }
    const big = await api('createToken', { name: 'x'.repeat(70 * 1024) });
    assert.equal(big.status, 413);
    const broken = await call(`${h.url}/admin/api/createToken`, { body: '{"name":', ca: h.ca!, headers: { cookie: jar, 'x-gatehouse-csrf': csrf } });
    assert.equal(broken.status, 400);
    assert.equal((await api('listTokens')).json<unknown[]>().length, before);
    assert.equal(h.core.settings().host, '127.0.0.1');
  });

  it('creates and revokes a token, pushing a change event to the browser', async () => {
    const { api, jar } = await signIn(h);
    const events: string[] = [];
    const stream = httpsRequest(`${h.url}/admin/api/events`, { ca: h.ca!, headers: { cookie: jar } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => events.push(d));
    });
    stream.end();
    await eventually(() => events.join('').includes('event: hello'), 2000, 'the event stream to open');
    const created = await api('createToken', { name: 'dash-made', scope: 'inference', allowModels: ['llama*'], rpm: 30, expiresIn: '30d' });
    assert.equal(created.status, 200, created.text);
    const { token, record } = created.json<{ token: string; record: { id: string; rpm: number; expiresAt: number } }>();
    assert.match(token, /^gth_/);
    assert.equal(record.rpm, 30);
    assert.ok(record.expiresAt > Date.now() + 29 * 86_400_000);
    await eventually(() => events.join('').includes('"what":"tokens"'), 2000, 'a tokens change event');
    const revoked = await api('revokeToken', { token: record.id });
    assert.equal(revoked.status, 200);
    assert.ok(revoked.json<{ revokedAt: number }>().revokedAt > 0);
    stream.destroy();
    const audit = h.core.store.metering.auditSince(0).filter((a) => a.target === 'dash-made').map((a) => [a.actor, a.action]);
    assert.deepEqual(audit, [['window', 'token.created'], ['window', 'token.revoked']]);
  });

  it('signs out: the cookie stops working', async () => {
    const { api } = await signIn(h);
    assert.equal((await api('session', undefined, { method: 'DELETE' })).status, 200);
    const after = await api('getOverview');
    assert.equal(after.status, 401);
    assert.match(after.text, /was ended/);
  });
});

describe('dashboard session expiry and rotation', async () => {
  const h = await startHarness({ sessionPolicy: { idleMs: 1500, absoluteMs: 60_000, cookieTtlMs: 60_000, rotateAfterMs: 0, linkTtlMs: 300 } });

  it('rotates the session cookie as it ages', async () => {
    const { api } = await signIn(h);
    await new Promise((r) => setTimeout(r, 1100)); // JWT iat has one-second resolution
    const res = await api('getOverview');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['set-cookie']), /__Host-gatehouse-session=/);
  });

  it('ends an idle session', async () => {
    const { api } = await signIn(h);
    await new Promise((r) => setTimeout(r, 1700));
    const res = await api('getOverview');
    assert.equal(res.status, 401);
    assert.match(res.text, /expired/);
  });

  it('refuses an expired link', async () => {
    const link = h.core.adminLink()!;
    await new Promise((r) => setTimeout(r, 400));
    const res = await call(`${h.url}/admin/api/session`, { body: { code: new URL(link.url).hash.slice(7) }, ca: h.ca! });
    assert.equal(res.status, 401);
  });
});
