import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { Agent } from 'undici';
import { keyFingerprint } from '../../main/auth/ollama-keys';
import { OllamaIdentity } from '../fixtures/ollama-signer';
import { call, eventually, startHarness } from '../helpers';

describe('invites', async () => {
  const h = await startHarness();
  const link = new URL(h.core.adminLink()!.url).hash.slice(7);
  const signIn = await call(`${h.url}/admin/api/session`, { body: { code: link }, ca: h.ca! });
  const jar = ([] as string[]).concat(signIn.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
  const csrf = /__Host-gatehouse-csrf=([^;]+)/.exec(jar)![1]!;
  const api = (operation: string, args: unknown = {}) => call(`${h.url}/admin/api/${operation}`, { body: args as object, ca: h.ca!, headers: { cookie: jar, 'x-gatehouse-csrf': csrf } });
  const create = async (name: string, extra: object = {}) => {
    const res = await api('createInvite', { name, endpoint: h.url, policy: { allowModels: ['llama3.2'], rpm: 30 }, ...extra });
    assert.equal(res.status, 200, res.text);
    const { url, invite } = res.json<{ url: string; invite: { id: string } }>();
    const parsed = new URL(url);
    return { url, id: invite.id, secret: parsed.hash.slice(1), path: parsed.pathname };
  };
  const redeem = (id: string, secret: string, localAddress?: string) =>
    call(`${h.url}/invite/${id}/redeem`, { body: { secret }, ca: h.ca!, ...(localAddress ? { localAddress } : {}) });
  const secrets: string[] = [];

  it('comes with a text to send that carries the CA fingerprint and what the browser will say first', async () => {
    const res = await api('createInvite', { name: 'dora', endpoint: h.url, policy: {} });
    const { url, message } = res.json<{ url: string; message: string }>();
    assert.ok(message.includes(url));
    assert.ok(message.includes(h.info.tls!.caFingerprint!), message);
    assert.match(message, /warn that the connection is not private/);
  });

  it('gives the token the default expiry unless the invite says otherwise, and refuses an unreadable one at once', async () => {
    const DAY = 86_400_000;
    const plain = await create('erin');
    assert.equal((await redeem(plain.id, plain.secret, '127.0.0.21')).status, 200);
    const defaulted = h.core.tokens.get('erin').expiresAt!;
    assert.ok(Math.abs(defaulted - (Date.now() + 90 * DAY)) < 60_000, `expires ${new Date(defaulted).toISOString()}`);
    const short = await api('createInvite', { name: 'fred', endpoint: h.url, expiresIn: '1h', policy: { expiresIn: '7d' } });
    const { url, invite } = short.json<{ url: string; invite: { id: string; expiresAt: number } }>();
    assert.ok(Math.abs(invite.expiresAt - (Date.now() + 3_600_000)) < 60_000);
    assert.equal((await redeem(invite.id, new URL(url).hash.slice(1), '127.0.0.21')).status, 200);
    assert.ok(Math.abs(h.core.tokens.get('fred').expiresAt! - (Date.now() + 7 * DAY)) < 60_000);
    const never = await api('createInvite', { name: 'gina', endpoint: h.url, policy: { expiresIn: null } });
    const n = never.json<{ url: string; invite: { id: string } }>();
    assert.equal((await redeem(n.invite.id, new URL(n.url).hash.slice(1), '127.0.0.21')).status, 200);
    assert.equal(h.core.tokens.get('gina').expiresAt, null);
    const before = (await api('listInvites')).json<unknown[]>().length;
    const bad = await api('createInvite', { name: 'hal', endpoint: h.url, policy: { expiresIn: 'soon' } });
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.text, /Cannot read the expiry/);
    assert.equal((await api('listInvites')).json<unknown[]>().length, before);
  });

  it('enrols the ollama key the teammate pastes; a key that cannot be read changes nothing', async () => {
    const inv = await create('kim');
    const bad = await call(`${h.url}/invite/${inv.id}/redeem`, { body: { secret: inv.secret, ollamaKey: 'ssh-rsa AAAAB3Nza' }, ca: h.ca!, localAddress: '127.0.0.22' });
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.text, /not an ollama public key/);
    h.core.metering.flush();
    assert.ok(!h.core.store.metering.securitySince(0).some((e) => e.ip === '127.0.0.22'), 'a typo is not a security event');
    const kim = new OllamaIdentity('kim@laptop');
    const ok = await call(`${h.url}/invite/${inv.id}/redeem`, { body: { secret: inv.secret, ollamaKey: kim.line }, ca: h.ca!, localAddress: '127.0.0.22' });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json<{ ollamaKeys: string[] }>().ollamaKeys, [keyFingerprint(kim.blob)]);
    const signed = kim.sign('GET', '/api/tags');
    await eventually(async () => (await call(`${h.url}${signed.path}`, { headers: signed.headers, ca: h.ca! })).status === 200, 3000, 'the signed request to be kim\'s');
  });

  it('makes a one-time URL with the secret after #, and a page that shows the invite', async () => {
    const inv = await create('bob-laptop');
    secrets.push(inv.secret);
    assert.match(inv.url, new RegExp(`^${h.url}/invite/inv_[0-9a-f]{12}#[A-Za-z0-9_-]{43}$`));
    const info = await call(`${h.url}/invite/${inv.id}/info`, { ca: h.ca! });
    assert.equal(info.status, 200);
    assert.deepEqual(Object.keys(info.json()).sort(), ['caFingerprint', 'expiresAt', 'name', 'state']);
    assert.equal(info.json<{ state: string }>().state, 'pending');
    const ca = await call(`${h.url}/invite/ca.crt`, { ca: h.ca! });
    assert.equal(ca.text, h.ca);
    assert.ok(ca.text.endsWith('-----END CERTIFICATE-----\n'), 'the downloaded CA ends with a newline');
  });

  it('redeems once for a token with the invite policy, which works with the openai client', async () => {
    const inv = await create('carol');
    secrets.push(inv.secret);
    const wrong = await redeem(inv.id, `${inv.secret.slice(0, -1)}x`);
    assert.equal(wrong.status, 410);
    assert.match(wrong.text, /does not work/);
    const res = await redeem(inv.id, inv.secret);
    assert.equal(res.status, 200, res.text);
    const body = res.json<{ token: string; name: string; endpoint: string; snippets: Array<{ client: string; code: string }> }>();
    assert.equal(body.name, 'carol');
    assert.equal(body.endpoint, h.url);
    assert.ok(body.snippets.filter((s) => s.client !== 'ollama command').every((s) => s.code.includes(body.token)));
    const record = h.core.tokens.get('carol');
    assert.deepEqual([record.allowModels, record.rpm], [['llama3.2'], 30]);

    const openai = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: body.token, fetchOptions: { dispatcher: new Agent({ connect: { ca: h.ca! } }) } as never });
    const reply = await openai.chat.completions.create({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] });
    assert.ok(reply.choices[0]?.message.content);

    const again = await redeem(inv.id, inv.secret);
    assert.equal(again.status, 410);
    const listed = (await api('listInvites')).json<Array<{ id: string; state: string; tokenName: string | null }>>().find((i) => i.id === inv.id);
    assert.deepEqual([listed?.state, listed?.tokenName], ['redeemed', 'carol']);
  });

  it('refuses a revoked invite, and an unknown or malformed one, as security events', async () => {
    const inv = await create('dave');
    secrets.push(inv.secret);
    assert.equal((await api('revokeInvite', { id: inv.id })).status, 200);
    assert.equal((await redeem(inv.id, inv.secret)).status, 410);
    assert.equal((await redeem('inv_000000000000', inv.secret)).status, 410);
    const traversal = (await redeem('../admin', 'x')).status;
    assert.ok(traversal >= 400 && traversal < 500, `refused: ${traversal}`);
    h.core.metering.flush();
    assert.ok(h.core.store.metering.securitySince(0).filter((e) => e.kind === 'invite_failed').reduce((n, e) => n + (e.count ?? 1), 0) >= 3);
  });

  it('refuses a redemption that is not an id and a secret string with 400, and issues nothing', async () => {
    const inv = await create('erin');
    const before = h.core.store.tokens.all().length;
    for (const body of [{ secret: 42 }, { secret: ['x'] }, {}, { secret: 'x'.repeat(101) }, 'not json']) {
      const res = await call(`${h.url}/invite/${inv.id}/redeem`, { body: body as object, ca: h.ca! });
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    assert.equal(h.core.store.tokens.all().length, before);
    const listed = (await api('listInvites')).json<Array<{ id: string; state: string }>>().find((i) => i.id === inv.id);
    assert.equal(listed?.state, 'pending', 'the invite is untouched');
  });

  it('limits redemption tries per address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await redeem('inv_000000000000', 'guess', '127.0.0.5')).status);
    assert.deepEqual(statuses.slice(0, 10), Array(10).fill(410));
    assert.equal(statuses.at(-1), 429);
  });

  it('never writes an invite secret anywhere: database, WAL, or security events', () => {
    h.core.metering.flush();
    const files = readdirSync(h.dataDir).filter((f) => f.startsWith('gatehouse.db'));
    const bytes = files.map((f) => readFileSync(join(h.dataDir, f)).toString('latin1')).join('');
    for (const secret of secrets) assert.ok(!bytes.includes(secret), 'secret found in the database files');
  });
});
