import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExpiry } from '../../main/auth/duration';
import { hashToken, isWellFormedToken, mintToken, TOKEN_LENGTH } from '../../main/auth/token-format';
import { credentialFrom, TokenVerifier } from '../../main/auth/token-verifier';
import { TokenService } from '../../main/auth/tokens';
import { UsageError } from '../../main/errors';
import { Store } from '../../main/store/store';
import { tempDir } from '../helpers';

describe('token format', () => {
  it('mints unique, well-formed, prefixed tokens of 256 random bits', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const t = mintToken();
      assert.equal(t.length, TOKEN_LENGTH);
      assert.match(t, /^gth_[0-9A-Za-z]+$/);
      assert.ok(isWellFormedToken(t));
      seen.add(t);
    }
    assert.equal(seen.size, 500);
  });

  it('rejects typos through the checksum', () => {
    const t = mintToken();
    for (let i = 4; i < t.length; i++) {
      const typo = t.slice(0, i) + (t[i] === 'x' ? 'y' : 'x') + t.slice(i + 1);
      assert.equal(isWellFormedToken(typo), false, `typo at ${i} accepted`);
    }
    assert.equal(isWellFormedToken(`${t} `), false);
    assert.equal(isWellFormedToken(t.replace('gth_', 'GTH_')), false);
  });

  it('reads Bearer and X-Api-Key credentials', () => {
    assert.equal(credentialFrom({ authorization: 'Bearer abc' }), 'abc');
    assert.equal(credentialFrom({ authorization: 'bearer   abc  ' }), 'abc');
    assert.equal(credentialFrom({ 'x-api-key': 'k' }), 'k');
    assert.equal(credentialFrom({ authorization: 'Basic dXNlcjpwYXNz' }), undefined);
    assert.equal(credentialFrom({ authorization: 'Bearer a b' }), undefined);
  });
});

describe('token service and verifier', () => {
  const setup = () => {
    let now = 1_800_000_000_000;
    const store = Store.open(tempDir());
    const clock = () => now;
    return { store, service: new TokenService(store, { clock }), verifier: new TokenVerifier(store, clock), advance: (ms: number) => (now += ms) };
  };

  it('stores only a hash, and verifies the secret it showed once', () => {
    const { store, service, verifier } = setup();
    const { token, record } = service.create({ name: 'alice', scope: 'admin', allowModels: ['llama*'], rpm: 60 });
    const row = store.db.prepare('SELECT * FROM tokens WHERE id = ?').get(record.id) as Record<string, unknown>;
    assert.equal(row.hash, hashToken(token));
    assert.ok(!JSON.stringify(row).includes(token.slice(4, 40)));
    const verdict = verifier.verify(token);
    assert.ok(verdict.ok);
    assert.equal(verdict.ok && verdict.token.scope, 'admin');
    assert.deepEqual(verdict.ok && verdict.token.allowModels, ['llama*']);
  });

  it('refuses a second active token with the same name, but frees the name on revoke', () => {
    const { service } = setup();
    service.create({ name: 'laptop' });
    assert.throws(() => service.create({ name: 'LAPTOP' }), UsageError);
    service.revoke('laptop');
    assert.doesNotThrow(() => service.create({ name: 'laptop' }));
  });

  it('applies expiry by the clock', () => {
    const { service, verifier, advance } = setup();
    const { token } = service.create({ name: 'temp', expiresAt: 1_800_000_060_000 });
    assert.ok(verifier.verify(token).ok);
    advance(60_000);
    const verdict = verifier.verify(token);
    assert.equal(verdict.ok, false);
    assert.equal(!verdict.ok && verdict.reason, 'expired');
  });

  it('validates names, scopes, patterns and limits with messages a person understands', () => {
    const { service } = setup();
    assert.throws(() => service.create({ name: '' }), /1 to 64 printable/);
    assert.throws(() => service.create({ name: 'a\u0000b' }), /printable/);
    assert.throws(() => service.create({ name: 'x', scope: 'root' as never }), /inference, admin/);
    assert.throws(() => service.create({ name: 'x', allowModels: ['has space'] }), /not a model name/);
    assert.throws(() => service.create({ name: 'x', rpm: 0 }), /above 0/);
    assert.throws(() => service.create({ name: 'x', expiresAt: 1 }), /future/);
  });

  it('refuses patterns with more than three wildcards, which cost a long name hundreds of milliseconds', () => {
    const { service } = setup();
    assert.throws(() => service.create({ name: 'x', denyModels: ['*-*-*-*:q4*'] }), /more than 3 "\*" wildcards/);
    assert.doesNotThrow(() => service.create({ name: 'y', denyModels: ['*-*:q4*'] }));
  });

  it('keeps the cloud permission off unless given, and changes it alone', () => {
    const { service } = setup();
    assert.equal(service.create({ name: 'c' }).record.cloud, false);
    assert.equal(service.update('c', { cloud: true }).cloud, true);
    assert.equal(service.update('c', { rpm: 5 }).cloud, true);
  });

  it('updates only the fields given', () => {
    const { service } = setup();
    service.create({ name: 'u', rpm: 10, concurrency: 2, allowModels: ['a'] });
    const updated = service.update('u', { rpm: 20 });
    assert.equal(updated.rpm, 20);
    assert.equal(updated.concurrency, 2);
    assert.deepEqual(updated.allowModels, ['a']);
  });
});

describe('expiry parsing', () => {
  const now = Date.UTC(2026, 10, 22, 12);
  it('reads durations and dates', () => {
    assert.equal(parseExpiry('30d', now), now + 30 * 86_400_000);
    assert.equal(parseExpiry('12h', now), now + 12 * 3_600_000);
    assert.equal(parseExpiry('2027-01-31', now), Date.UTC(2027, 0, 31, 23, 59, 59, 999));
  });
  it('refuses the past, impossible dates and nonsense', () => {
    assert.throws(() => parseExpiry('2020-01-01', now), /past/);
    assert.throws(() => parseExpiry('2027-02-30', now), /not a calendar date/);
    assert.throws(() => parseExpiry('soon', now), (err: unknown) => err instanceof UsageError && /12h, 30d/.test(err.describe()));
    assert.throws(() => parseExpiry('0d', now), /already over/);
  });
});
