import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generate } from 'otplib';
import { call, startHarness, type CallOptions, type Harness } from '../helpers';

/** A browser session: a cookie jar and the CSRF header, from any address. */
function client(h: Harness, localAddress?: string) {
  let jar = '';
  let csrf = '';
  const keep = (setCookie: string[] | undefined) => {
    for (const c of setCookie ?? []) {
      const [pair] = c.split(';');
      const [name] = pair!.split('=');
      jar = [...jar.split('; ').filter((p) => p && !p.startsWith(`${name}=`)), pair].join('; ');
      if (name === '__Host-gatehouse-csrf') csrf = pair!.slice(name.length + 1);
    }
  };
  const send = async (path: string, body?: unknown, extra: CallOptions = {}) => {
    const res = await call(`${h.url}${path}`, { ca: h.ca!, ...(localAddress ? { localAddress } : {}), ...(body === undefined ? {} : { body: body as object }), ...extra, headers: { cookie: jar, 'x-gatehouse-csrf': csrf, ...extra.headers } });
    keep(([] as string[]).concat(res.headers['set-cookie'] ?? []));
    return res;
  };
  return {
    send,
    api: (operation: string, args: unknown = {}) => send(`/admin/api/${operation}`, args),
    linkSignIn: async () => send('/admin/api/session', { code: new URL(h.core.adminLink()!.url).hash.slice(7) }),
    login: (password: string, code: string) => send('/admin/api/login', { password, code }),
  };
}

const PASSWORD = 'quiet-otter-harbour-lamp-92';
const totpAt = (secret: string, offsetSeconds = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSeconds });

describe('remote administration with password and TOTP', async () => {
  const h = await startHarness({ isLocalClient: (ip) => ip === '127.0.0.1' || ip === '::ffff:127.0.0.1' });
  const local = client(h);
  assert.equal((await local.linkSignIn()).status, 200);
  const remote = client(h, '127.0.0.2');
  let secret = '';
  let recoveryCodes: string[] = [];

  it('is off by default: another computer cannot even reach the dashboard', async () => {
    assert.equal((await local.api('getAdminStatus')).json<{ enabled: boolean }>().enabled, false);
    const res = await remote.send('/admin/');
    assert.equal(res.status, 403);
    assert.match(res.text, /only be opened on the Gatehouse computer/);
  });

  it('refuses short and guessable passwords', async () => {
    const short = await local.api('beginRemoteAdmin', { password: 'Sh0rt!' });
    assert.equal(short.status, 400);
    assert.match(short.text, /at least 12 characters/);
    const weak = await local.api('beginRemoteAdmin', { password: 'password1234' });
    assert.equal(weak.status, 400);
    assert.match(weak.text, /too easy to guess/);
  });

  it('enrols: a QR code of the otpauth URI, then a valid code turns it on with ten recovery codes', async () => {
    const begin = await local.api('beginRemoteAdmin', { password: PASSWORD });
    assert.equal(begin.status, 200, begin.text);
    const enrollment = begin.json<{ secret: string; otpauthUri: string; qrDataUrl: string }>();
    secret = enrollment.secret;
    assert.match(enrollment.otpauthUri, new RegExp(`^otpauth://totp/Gatehouse:.*secret=${secret}`));
    assert.match(enrollment.qrDataUrl, /^data:image\/png;base64,/);
    const wrong = await local.api('confirmRemoteAdmin', { code: '000000' });
    assert.equal(wrong.status, 400);
    assert.equal((await local.api('getAdminStatus')).json<{ enabled: boolean }>().enabled, false, 'not on before a right code');
    const confirm = await local.api('confirmRemoteAdmin', { code: await totpAt(secret) });
    assert.equal(confirm.status, 200, confirm.text);
    recoveryCodes = confirm.json<{ recoveryCodes: string[] }>().recoveryCodes;
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);
    assert.deepEqual((await local.api('getAdminStatus')).json<{ enabled: boolean; recoveryCodesLeft: number }>(), { enabled: true, enrolling: false, recoveryCodesLeft: 10, allowList: h.core.settings().adminAllowList });
    const stored = JSON.stringify(h.core.store.db.prepare('SELECT * FROM recovery_codes').all());
    assert.ok(recoveryCodes.every((c) => !stored.includes(c)), 'only hashes are stored');
  });

  it('signs in from another computer with password and code, and never accepts the same code twice', async () => {
    const info = await remote.send('/admin/api/login-info');
    assert.deepEqual(info.json(), { remoteAdmin: true, local: false });
    const code = await totpAt(secret, 30); // the enrolment used this period's code
    const ok = await remote.login(PASSWORD, code);
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await remote.api('getOverview')).status, 200);
    const replay = await client(h, '127.0.0.2').login(PASSWORD, code);
    assert.equal(replay.status, 401);
    const audit = h.core.store.metering.auditSince(0).filter((a) => a.action === 'admin.signed_in').at(-1);
    assert.equal(audit?.actor, 'remote-admin');
  });

  it('keeps authenticator reset and recovery-code renewal to this computer', async () => {
    for (const [op, args] of [['renewRecoveryCodes', {}], ['beginRemoteAdmin', { password: null }], ['confirmRemoteAdmin', { code: '123456' }]] as const) {
      const res = await remote.api(op, args);
      assert.equal(res.status, 403, op);
      assert.match(res.text, /only .* on the Gatehouse computer itself/);
    }
    assert.equal((await local.api('renewRecoveryCodes')).status, 200);
    recoveryCodes = (await local.api('renewRecoveryCodes')).json<{ recoveryCodes: string[] }>().recoveryCodes;
  });

  it('accepts a recovery code once', async () => {
    const code = recoveryCodes[0]!;
    assert.equal((await client(h, '127.0.0.2').login(PASSWORD, code.toUpperCase())).status, 200);
    assert.equal((await client(h, '127.0.0.2').login(PASSWORD, code)).status, 401);
    assert.equal((await local.api('getAdminStatus')).json<{ recoveryCodesLeft: number }>().recoveryCodesLeft, 9);
  });

  it('locks an address out after five failures, even for the right password then', async () => {
    const attacker = client(h, '127.0.0.3');
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await attacker.login(PASSWORD, '111111')).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 429]);
    const locked = await attacker.login(PASSWORD, recoveryCodes[1]!);
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers['retry-after']) > 0);
    assert.match(locked.text, /Too many failed sign-ins/);
    assert.equal((await client(h, '127.0.0.2').login(PASSWORD, recoveryCodes[1]!)).status, 200, 'other addresses are not locked');
    h.core.metering.flush();
    assert.ok(h.core.store.metering.securitySince(0).filter((e) => e.kind === 'admin_auth_failed' && e.ip === '127.0.0.3').reduce((n, e) => n + (e.count ?? 1), 0) >= 5, 'every failure is counted, repeats in one row');
  });

  it('counts an attempt before checking it: twenty at once from one address reach the password check at most five times', async () => {
    const attacker = client(h, '127.0.0.4');
    const statuses = await Promise.all(Array.from({ length: 20 }, () => attacker.login(PASSWORD, '222222').then((r) => r.status)));
    assert.ok(statuses.filter((s) => s === 401).length <= 5, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 429).length >= 15, true, statuses.join(' '));
  });

  it('keeps trust-boundary settings to this computer: a remote session cannot redirect prompts or widen access', async () => {
    const before = { ...h.core.settings() };
    const changes: Record<string, string | boolean | number> = {
      upstream: 'http://127.0.0.1:26000', host: '0.0.0.0', port: 8443, tlsMode: 'custom', tlsCertFile: '/tmp/x.crt', tlsKeyFile: '/tmp/x.key',
      trustLoopback: true, adminAllowList: '0.0.0.0/0', registryAllowList: 'evil.example',
    };
    for (const [key, value] of Object.entries(changes)) {
      const res = await remote.api('updateSettings', { changes: { [key]: value } });
      assert.equal(res.status, 403, `${key}: ${res.text}`);
      assert.match(res.text, /only .* on the Gatehouse computer itself/);
    }
    assert.equal((await remote.api('disableRemoteAdmin')).status, 403);
    assert.deepEqual({ ...h.core.settings() }, before, 'nothing changed');
    const allowed = await remote.api('updateSettings', { changes: { defaultRpm: 120 } });
    assert.equal(allowed.status, 200, 'other settings still change remotely');
  });

  it('keeps where prompts go and which certificate is served to this computer: Ollama hosts and ACME', async () => {
    // The ACME settings change only through useAcme, from anywhere: a plain setting change is refused outright.
    const attempts: Array<[string, unknown, number]> = [
      ['addUpstream', { url: 'http://127.0.0.1:26001', insecure: true }, 403],
      ['removeUpstream', { name: 'lab' }, 403],
      ['useAcme', { domain: 'evil.example.com', email: 'x@evil.example.com', dns: 'cloudflare', dnsToken: 'stolen' }, 403],
      ['updateSettings', { changes: { acmeDomain: 'evil.example.com' } }, 400],
    ];
    for (const [op, args, status] of attempts) {
      const res = await remote.api(op, args);
      assert.equal(res.status, status, `${op}: ${res.text}`);
    }
    assert.equal(h.core.store.upstreams.all().length, 0, 'no host was added');
    assert.equal(h.core.settings().acmeDomain, '');
    assert.equal(h.core.settings().tlsMode, 'local-ca');
  });

  it('keeps the dashboard responsive while many wrong passwords from many addresses are checked', async () => {
    const guesses = Array.from({ length: 48 }, (_, i) => client(h, `127.0.1.${(i % 12) + 1}`).login('wrong-password-123456', '333333').then((r) => r.status));
    const started = performance.now();
    const overview = await local.api('getOverview');
    const took = performance.now() - started;
    const statuses = await Promise.all(guesses);
    assert.equal(overview.status, 200);
    assert.ok(took < 1000, `a dashboard call took ${took.toFixed(0)} ms during 48 wrong sign-ins`);
    assert.ok(statuses.every((s) => s === 401 || s === 429), statuses.join(' '));
    assert.ok(statuses.includes(429), 'past two checks at a time and a short queue, sign-ins are turned away');
  });

  it('lists and revokes sessions; revoked cookies stop working', async () => {
    const sessions = (await local.api('listAdminSessions')).json<Array<{ ip: string }>>();
    assert.ok(sessions.some((s) => s.ip === '127.0.0.2'));
    assert.equal((await local.api('revokeAdminSessions', {})).status, 200);
    assert.equal((await remote.api('getOverview')).status, 401);
  });

  it('refuses addresses outside the admin allow-list', async () => {
    assert.equal((await local.linkSignIn()).status, 200);
    assert.equal((await local.api('updateSettings', { changes: { adminAllowList: '10.0.0.0/8, 192.168.0.0/16' } })).status, 200);
    const res = await client(h, '127.0.0.2').login(PASSWORD, recoveryCodes[2]!);
    assert.equal(res.status, 403);
    assert.match(res.text, /not allowed from 127\.0\.0\.2/);
    const bad = await local.api('updateSettings', { changes: { adminAllowList: '10.0.0.0/33' } });
    assert.equal(bad.status, 400);
    assert.equal((await local.api('updateSettings', { changes: { adminAllowList: '127.0.0.0/8' } })).status, 200);
    assert.equal((await local.api('updateSettings', { changes: { remoteAdmin: true } })).status, 400, 'only enrolment turns it on');
  });

  it('turns off: the credentials are forgotten and other computers are refused again', async () => {
    assert.equal((await local.api('disableRemoteAdmin')).status, 200);
    const res = await client(h, '127.0.0.2').login(PASSWORD, recoveryCodes[3]!);
    assert.equal(res.status, 403);
    assert.equal(h.core.store.adminAccount.get().passwordHash, null);
  });
});
