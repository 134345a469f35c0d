import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Lockout } from '../../main/auth/lockout';
import { TokenVerifier } from '../../main/auth/token-verifier';
import { TokenService } from '../../main/auth/tokens';
import { DEFAULT_SETTINGS, type Settings } from '../../main/config/settings';
import { cors, limits, modelPolicy, pauseGate, requestContext, routeGuard, tokenAuth } from '../../main/gateway/access';
import type { SecurityEvent } from '../../main/metering/security-events';
import { Store } from '../../main/store/store';
import { tempDir } from '../helpers';

/**
 * Each access plugin on its own, through inject(): a scope with the request context, the plugins
 * under test, and a catch-all route that answers 200 with what the context holds.
 */
const store = Store.open(tempDir());
after(() => store.close());
const tokens = new TokenService(store);
const verifier = new TokenVerifier(store);
const events: SecurityEvent[] = [];
let settings: Settings = { ...DEFAULT_SETTINGS };
const live = () => settings;
const names = () => ({ dns: ['localhost'], ips: ['127.0.0.1'] });

type Plugin = (scope: FastifyInstance) => PromiseLike<unknown>;
async function gateway(local: boolean, ...plugins: Plugin[]): Promise<FastifyInstance> {
  const app = Fastify();
  // As the proxy reads bodies: whole, as bytes, for the model policy to scan.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  await app.register(requestContext, { isLocalClient: () => local, security: (e) => events.push(e) });
  for (const plugin of plugins) await plugin(app);
  app.all('/*', (request) => ({ token: request.gatehouse.token?.name ?? null, route: request.gatehouse.match?.route.pattern ?? null, models: request.gatehouse.models ?? null }));
  after(() => app.close());
  return app;
}

const lockout = new Lockout(() => ({ threshold: 3, windowMs: 60_000, lockMs: 60_000 }));
const auth: Plugin = (app) => app.register(tokenAuth, { verifier, settings: live, lockout, hostNames: names, scheme: 'https', security: (e) => events.push(e) });
const guard: Plugin = async (app) => {
  await auth(app);
  await app.register(routeGuard);
};
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('access plugins, one at a time', () => {
  const alice = tokens.create({ name: 'alice', allowModels: ['llama*'], rpm: 2 }).token;
  const admin = tokens.create({ name: 'root', scope: 'admin' }).token;

  it('the request context matches the route once, on the canonical path', async () => {
    const app = await gateway(false);
    const res = await app.inject({ url: '/API/Tags' });
    assert.equal(res.json<{ route: string }>().route, '/api/tags');
    assert.equal((await app.inject({ url: '/nowhere' })).json<{ route: null }>().route, null);
  });

  it('the pause gate lets this computer through and tells everyone else to wait', async () => {
    settings = { ...DEFAULT_SETTINGS, paused: true };
    const remote = await gateway(false, (app) => app.register(pauseGate, { settings: live }));
    const local = await gateway(true, (app) => app.register(pauseGate, { settings: live }));
    const refused = await remote.inject({ url: '/api/tags' });
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.headers['retry-after'], '60');
    assert.equal((await local.inject({ url: '/api/tags' })).statusCode, 200);
    settings = { ...DEFAULT_SETTINGS };
  });

  it('token auth admits a valid token, refuses garbage with a challenge, and locks out a guesser', async () => {
    const app = await gateway(false, auth);
    assert.equal((await app.inject({ url: '/api/tags', headers: bearer(alice) })).json<{ token: string }>().token, 'alice');
    const missing = await app.inject({ url: '/api/tags' });
    assert.equal(missing.statusCode, 401);
    assert.match(String(missing.headers['www-authenticate']), /Bearer/);
    const before = events.length;
    for (let i = 0; i < 3; i++) assert.equal((await app.inject({ url: '/api/tags', headers: bearer(`gth_${'x'.repeat(49)}`), remoteAddress: '10.9.9.9' })).statusCode, 401);
    assert.ok(events.slice(before).some((e) => e.kind === 'lockout' && e.ip === '10.9.9.9'));
    const locked = await app.inject({ url: '/api/tags', headers: bearer(alice), remoteAddress: '10.9.9.9' });
    assert.equal(locked.statusCode, 429, 'even a valid token waits out the lockout');
  });

  it('token auth trusts a tokenless local program only under its own Host and origin', async () => {
    settings = { ...DEFAULT_SETTINGS, trustLoopback: true };
    const app = await gateway(true, auth);
    assert.equal((await app.inject({ url: '/api/tags', headers: { host: 'localhost:11443' } })).statusCode, 200);
    assert.equal((await app.inject({ url: '/api/tags', headers: { host: 'evil.example' } })).statusCode, 401);
    assert.equal((await app.inject({ url: '/api/tags', headers: { host: 'localhost:11443', origin: 'https://evil.example' } })).statusCode, 401);
    settings = { ...DEFAULT_SETTINGS };
  });

  it('the route guard answers 404, 405 and 400 itself and keeps management to admin tokens', async () => {
    const app = await gateway(false, guard);
    assert.equal((await app.inject({ url: '/api/me', headers: bearer(alice) })).statusCode, 404);
    assert.equal((await app.inject({ method: 'PUT', url: '/api/tags', headers: bearer(alice) })).statusCode, 405);
    const pull = await app.inject({ method: 'POST', url: '/api/pull', headers: bearer(alice), payload: {} });
    assert.equal(pull.statusCode, 403);
    assert.match(pull.json<{ error: string }>().error, /"alice" may run models but not manage them/);
    assert.equal((await app.inject({ method: 'POST', url: '/api/pull', headers: bearer(admin), payload: {} })).statusCode, 200);
  });

  it('limits refuse a token past its rate and record it as a security event', async () => {
    const app = await gateway(false, guard, (scope) => scope.register(limits, { settings: live }));
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await app.inject({ url: '/api/tags', headers: bearer(alice) })).statusCode);
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.equal(events.at(-1)?.kind, 'rate_limited');
  });

  it('the model policy refuses a model outside the token\'s list before the handler runs', async () => {
    const app = await gateway(false, guard, (scope) => scope.register(modelPolicy, { settings: live, isRemote: () => false }));
    const denied = await app.inject({ method: 'POST', url: '/api/chat', headers: bearer(alice), payload: { model: 'qwen3' } });
    assert.equal(denied.statusCode, 403);
    assert.equal(events.at(-1)?.kind, 'model_denied');
    const allowed = await app.inject({ method: 'POST', url: '/api/chat', headers: bearer(alice), payload: { model: 'llama3.2' } });
    assert.deepEqual(allowed.json<{ models: string[] }>().models, ['llama3.2:latest']);
  });

  it('CORS answers a preflight for an API route only, and never reaches the checks behind it', async () => {
    const app = await gateway(false, (scope) => scope.register(cors), guard);
    const preflight = { origin: 'https://chat.example', 'access-control-request-method': 'POST' };
    const ok = await app.inject({ method: 'OPTIONS', url: '/api/chat', headers: preflight });
    assert.equal(ok.statusCode, 204);
    assert.equal(ok.headers['access-control-allow-origin'], '*');
    const refused = await app.inject({ method: 'OPTIONS', url: '/admin/api/getOverview', headers: preflight });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.headers['access-control-allow-origin'], undefined);
  });
});
