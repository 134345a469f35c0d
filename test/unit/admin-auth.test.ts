import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { generate } from 'otplib';
import { AdminAccount, checkPassword, checkPasswordStrength, hashPassword } from '../../main/auth/admin-account';
import { AdminLockout, DEFAULT_SIGN_IN_LIMITS, lockoutKey } from '../../main/auth/admin-lockout';
import { inCidrList, parseCidrList } from '../../main/config/cidr';
import { DEFAULT_SETTINGS } from '../../main/config/settings';
import { Invites } from '../../main/share/invites';
import { Store } from '../../main/store/store';
import { tempDir } from '../helpers';

const PASSWORD = 'lantern-orchard-violet-7';

describe('admin password', () => {
  it('hashes with scrypt and a salt, and checks in constant time', async () => {
    const a = await hashPassword(PASSWORD);
    assert.match(a, /^scrypt\$32768\$8\$1\$/);
    assert.notEqual(a, await hashPassword(PASSWORD), 'salted');
    assert.equal(await checkPassword(PASSWORD, a), true);
    assert.equal(await checkPassword(`${PASSWORD}x`, a), false);
    assert.equal(await checkPassword(PASSWORD, 'bcrypt$whatever'), false);
  });

  it('refuses short, long and guessable passwords with a reason', () => {
    assert.throws(() => checkPasswordStrength('abc'), /at least 12/);
    assert.throws(() => checkPasswordStrength('x'.repeat(300)), /at most 256/);
    for (const weak of ['password1234', 'qwertyuiop123', 'gatehouse2026', 'aaaaaaaaaaaa']) assert.throws(() => checkPasswordStrength(weak), /too easy to guess/, weak);
    assert.equal(checkPasswordStrength(PASSWORD), PASSWORD);
  });
});

describe('TOTP and recovery codes', async () => {
  let now = Date.UTC(2026, 10, 22, 12, 0, 10);
  const store = Store.open(tempDir());
  after(() => store.close());
  const account = new AdminAccount(store, () => now);
  const code = (offset = 0) => generate({ secret: store.adminAccount.get().totpSecret ?? store.adminAccount.get().pendingTotp!, epoch: Math.floor(now / 1000) + offset });

  const enrollment = await account.beginEnrollment(PASSWORD);
  const { recoveryCodes } = await account.confirmEnrollment(await code(), 'cli');

  it('turns remote sign-in on only after a right code', () => {
    assert.ok(enrollment.secret.length >= 32);
    assert.equal(account.status().enabled, true);
    assert.equal(store.settings.load().settings.remoteAdmin, true);
  });

  it('never accepts a code of an already used time step (replay), nor an older one', async () => {
    now += 30_000;
    const fresh = await code();
    assert.equal(await account.verifySignIn(PASSWORD, fresh), 'totp');
    await assert.rejects(account.verifySignIn(PASSWORD, fresh), /not right/);
    now += 5_000;
    await assert.rejects(account.verifySignIn(PASSWORD, await code(-30)), /not right/, 'the previous period, inside the drift window, is older than the last used');
    now += 30_000;
    assert.equal(await account.verifySignIn(PASSWORD, await code()), 'totp');
  });

  it('refuses a right code with a wrong password, and malformed input without throwing oddly', async () => {
    now += 30_000;
    await assert.rejects(account.verifySignIn('not-the-password-123', await code()), /not right/);
    for (const bad of ['', '12345', '1234567', 'abcdef', '12 34 5x', 'x'.repeat(40)]) await assert.rejects(account.verifySignIn(PASSWORD, bad), /not right/);
    await assert.rejects(account.verifySignIn(undefined, undefined), /not right/);
  });

  it('accepts each recovery code once, in any case and with or without the dash', async () => {
    const first = recoveryCodes[0]!;
    assert.equal(await account.verifySignIn(PASSWORD, first.toUpperCase().replace('-', '')), 'recovery');
    await assert.rejects(account.verifySignIn(PASSWORD, first), /not right/);
    assert.equal(account.status().recoveryCodesLeft, 9);
    const renewed = await account.renewRecoveryCodes('cli');
    await assert.rejects(account.verifySignIn(PASSWORD, recoveryCodes[1]!), /not right/, 'old codes die with a renewal');
    assert.equal(await account.verifySignIn(PASSWORD, renewed[0]!), 'recovery');
  });

  it('makes recovery codes of 100 bits and stores them under scrypt, found by a public id', () => {
    for (const c of recoveryCodes) assert.match(c, /^[0-9a-z]{5}(-[0-9a-z]{5}){3}$/);
    const rows = store.db.prepare('SELECT id, hash FROM recovery_codes').all() as Array<{ id: string; hash: string }>;
    assert.equal(rows.length, 10);
    for (const row of rows) {
      assert.match(row.hash, /^scrypt\$/);
      assert.ok(!recoveryCodes.some((c) => row.hash.includes(c.replace(/-/g, ''))));
    }
  });

  it('forgets everything when turned off', async () => {
    account.disable('cli');
    await assert.rejects(account.verifySignIn(PASSWORD, '123456'), /Remote sign-in is off/);
    assert.deepEqual(store.adminAccount.get(), { passwordHash: null, totpSecret: null, pendingTotp: null, lastTotpStep: 0 });
  });
});

describe('the authenticator secret at rest', () => {
  /** A stand-in for the OS keystore: reversible, and visibly not the plain text. */
  const vault = { describe: 'test vault', seal: (p: string) => Buffer.from(`v:${Buffer.from(p).toString('hex')}`), open: (b: Buffer) => Buffer.from(b.toString().slice(2), 'hex').toString() };

  it('is sealed with the keystore where there is one, and still verifies codes', async () => {
    const now = Date.UTC(2026, 10, 22, 12, 0, 10);
    const store = Store.open(tempDir());
    after(() => store.close());
    const account = new AdminAccount(store, () => now, vault);
    const { secret } = await account.beginEnrollment(PASSWORD);
    assert.match(String(store.adminAccount.get().pendingTotp), /^sealed:v1:/);
    await account.confirmEnrollment(await generate({ secret, epoch: Math.floor(now / 1000) }), 'cli');
    const stored = JSON.stringify(store.db.prepare('SELECT * FROM admin_account').all());
    assert.ok(!stored.includes(secret), 'the secret is not in the database in the clear');
    const later = new AdminAccount(store, () => now + 60_000, vault);
    assert.equal(await later.verifySignIn(PASSWORD, await generate({ secret, epoch: Math.floor(now / 1000) + 60 })), 'totp');
    await assert.rejects(new AdminAccount(store, () => now + 120_000).verifySignIn(PASSWORD, '123456'), /OS keystore/, 'without the keystore it says why');
  });

  it('seals a secret stored in the clear by an older version on first use', async () => {
    const store = Store.open(tempDir());
    after(() => store.close());
    store.adminAccount.save({ passwordHash: null, totpSecret: null, pendingTotp: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', lastTotpStep: 0 }, 0);
    await assert.rejects(new AdminAccount(store, Date.now, vault).beginEnrollment(null), /password first/);
    assert.match(String(store.adminAccount.get().pendingTotp), /^sealed:v1:/);
  });
});

describe('sign-in lockout', () => {
  const limits = { ...DEFAULT_SIGN_IN_LIMITS, globalPerMinute: 10_000 };
  const fail = (lockout: AdminLockout, ip: string) => assert.equal(lockout.begin(ip).ok, true, `${ip} may try`);

  it('locks after five failures for a minute, doubling with each further failure, per address', () => {
    let now = 0;
    const lockout = new AdminLockout(undefined, () => now, limits);
    for (let i = 0; i < 4; i++) fail(lockout, '10.0.0.9');
    assert.equal(lockout.retryAfter('10.0.0.9'), 0);
    fail(lockout, '10.0.0.9');
    assert.equal(lockout.retryAfter('10.0.0.9'), 60_000);
    assert.deepEqual(lockout.begin('10.0.0.9'), { ok: false, retryAfterMs: 60_000, reason: 'address' });
    assert.equal(lockout.retryAfter('10.0.0.10'), 0, 'other addresses are free');
    now += 60_000;
    fail(lockout, '10.0.0.9');
    assert.equal(lockout.retryAfter('10.0.0.9'), 120_000);
    now += 120_000;
    for (let i = 0; i < 20; i++) {
      lockout.begin('10.0.0.9');
      now += 3_600_000;
    }
    now -= 3_600_000;
    assert.equal(lockout.retryAfter('10.0.0.9'), 3_600_000, 'capped at an hour');
    const turn = lockout.begin('10.0.0.11');
    assert.ok(turn.ok);
    lockout.succeeded(turn.key);
    assert.equal(lockout.retryAfter('10.0.0.11'), 0);
  });

  it('counts an attempt before the password is checked, so parallel attempts cannot all be verified', () => {
    const lockout = new AdminLockout(undefined, () => 0, limits);
    const turns = Array.from({ length: 20 }, () => lockout.begin('10.0.0.9'));
    assert.equal(turns.filter((t) => t.ok).length, 5, 'five reach the password check, the rest are refused at once');
  });

  it('counts IPv6 addresses per /64, and IPv4-mapped ones as IPv4', () => {
    assert.equal(lockoutKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(lockoutKey('2001:db8:1:2:ffff:1:2:3'), '2001:db8:1:2::/64');
    assert.equal(lockoutKey('::ffff:10.0.0.5'), '10.0.0.5');
    const lockout = new AdminLockout(undefined, () => 0, limits);
    for (let i = 1; i <= 5; i++) fail(lockout, `2001:db8:1:2::${i}`);
    assert.equal(lockout.begin('2001:db8:1:2:9::9').ok, false, 'a new address in the same /64 is locked too');
    assert.equal(lockout.begin('2001:db8:1:3::1').ok, true);
  });

  it('has a ceiling on attempts from everyone together', () => {
    let now = 0;
    const lockout = new AdminLockout(undefined, () => now, { ...DEFAULT_SIGN_IN_LIMITS, globalPerMinute: 30 });
    for (let i = 0; i < 30; i++) fail(lockout, `10.1.${i}.1`);
    const turn = lockout.begin('10.2.0.1');
    assert.equal(turn.ok, false);
    assert.equal(!turn.ok && turn.reason, 'everyone');
    now += 60_000;
    assert.equal(lockout.begin('10.2.0.1').ok, true, 'the ceiling is per minute');
  });

  it('keeps lockouts across a restart (they are stored)', () => {
    const store = Store.open(tempDir());
    after(() => store.close());
    const first = new AdminLockout(store.lockouts, () => 1000, limits);
    for (let i = 0; i < 5; i++) fail(first, '10.0.0.9');
    const second = new AdminLockout(store.lockouts, () => 2000, limits);
    assert.equal(second.retryAfter('10.0.0.9'), 59_000);
    assert.equal(second.begin('10.0.0.9').ok, false);
  });

  it('forgets unlocked addresses first when it must forget, never a locked one', () => {
    const lockout = new AdminLockout(undefined, () => 0, limits);
    for (let i = 0; i < 5; i++) fail(lockout, '10.9.9.9');
    for (let i = 0; i < 10_050; i++) lockout.begin(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    assert.equal(lockout.retryAfter('10.9.9.9'), 60_000, 'rotating addresses did not free the locked one');
  });

  it('keeps answering from memory when the store cannot write', () => {
    const store = Store.open(tempDir());
    const errors: unknown[] = [];
    const lockout = new AdminLockout(store.lockouts, () => 0, limits, (err) => errors.push(err));
    store.close();
    for (let i = 0; i < 5; i++) fail(lockout, '10.0.0.9');
    assert.equal(lockout.begin('10.0.0.9').ok, false);
    assert.ok(errors.length > 0);
  });
});

describe('admin allow-list (CIDR)', () => {
  const ranges = parseCidrList(DEFAULT_SETTINGS.adminAllowList);
  const cases: Array<[string, boolean]> = [
    ['127.0.0.1', true], ['192.168.1.7', true], ['10.200.3.4', true], ['172.16.0.1', true], ['172.32.0.1', false],
    ['::ffff:192.168.1.7', true], ['::1', true], ['fd12::1', true], ['fe80::1', true], ['8.8.8.8', false], ['2001:db8::1', false],
    ['not an ip', false], ['', false], ['192.168.1.7/24', false],
  ];
  for (const [ip, ok] of cases) it(`${ok ? 'admits' : 'refuses'} ${ip || '(empty)'}`, () => assert.equal(inCidrList(ip, ranges), ok));

  it('reads bare addresses and refuses malformed ranges', () => {
    assert.equal(inCidrList('203.0.113.5', parseCidrList('203.0.113.5')), true);
    assert.equal(inCidrList('203.0.113.6', parseCidrList('203.0.113.5')), false);
    for (const bad of ['10.0.0.0/33', '300.1.1.1/8', 'fd00::/129', 'localhost', '10.0.0.0/8; rm -rf']) assert.throws(() => parseCidrList(bad), /not an address range/, bad);
  });
});

describe('invite expiry', () => {
  it('is pending until it expires, then refuses redemption', async () => {
    let now = Date.UTC(2026, 10, 22, 12, 0, 0);
    const store = Store.open(tempDir());
    after(() => store.close());
    const invites = new Invites(store, () => now);
    const { invite, url } = await invites.create({ name: 'erin', expiresIn: '2h', policy: {} }, 'https://gpu.local:11443', 'cli');
    assert.equal(invite.state, 'pending');
    assert.equal(invite.expiresAt, now + 2 * 3_600_000);
    const parsed = new URL(url);
    const secret = parsed.hash.slice(1);
    assert.ok(!parsed.pathname.includes(secret) && parsed.search === '', 'the secret is only in the fragment, which no request carries');
    now += 2 * 3_600_000;
    assert.equal(invites.list()[0]?.state, 'expired');
    assert.throws(() => invites.redeem(invite.id, secret), /does not work/);
    assert.equal(store.tokens.all().length, 0, 'no token was made');
  });
});
