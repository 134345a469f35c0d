import assert from 'node:assert/strict';
import { Agent, request as httpsRequest } from 'node:https';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { OPERATIONS } from '../../preload/contract';
import { FUZZ, methodFor, spellingOf, type Spelling } from '../fixtures/spellings';
import { startHarness, type Harness } from '../helpers';
import { rawRequest } from '../helpers-raw';

const onlyLoopback = (ip: string) => ip === '127.0.0.1' || ip === '::ffff:127.0.0.1';
const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD'] as const;

/** Arguments that would change something if an operation ever ran without a session. */
const HARMFUL: Record<string, unknown> = {
  createToken: { name: 'fuzz', scope: 'admin' },
  updateSettings: { changes: { trustLoopback: true, upstream: 'http://127.0.0.1:9' } },
  setPaused: { paused: true },
  beginRemoteAdmin: { password: 'correct-horse-battery-staple-9' },
  disableRemoteAdmin: {},
  revokeAdminSessions: {},
  createInvite: { name: 'fuzz', endpoint: 'https://localhost:1' },
  pullModel: { model: 'llama3.2' },
  deleteModel: { model: 'llama3.2' },
};

function client(h: Harness) {
  const agent = new Agent({ keepAlive: true, maxSockets: 4, ca: h.ca! });
  after(() => agent.destroy());
  return (method: string, spelling: Spelling, body: string | undefined, headers: Record<string, string> = {}) => {
    const allHeaders = { host: `127.0.0.1:${h.info.port}`, ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers };
    if (spelling.absolute) {
      const head = Object.entries(allHeaders).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      return rawRequest(h.info.port, `${method} https://127.0.0.1:${h.info.port}${spelling.path} HTTP/1.1\r\n${head}connection: close\r\n\r\n${body ?? ''}`, { ca: h.ca! });
    }
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: h.info.port, servername: 'localhost', path: spelling.path, method, agent, headers: allHeaders }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });
  };
}

/** Everything an operation could change: tokens, settings, the admin account, sessions, invites. */
function state(h: Harness): string {
  const db = h.core.store.db;
  return JSON.stringify(['tokens', 'settings', 'admin_account', 'admin_sessions', 'invites', 'recovery_codes'].map((t) => db.prepare(`SELECT * FROM ${t}`).all()));
}

describe('spellings of every dashboard operation, without a session', async () => {
  const h = await startHarness({ isLocalClient: onlyLoopback });
  const send = client(h);
  const before = state(h);
  const targets = [...OPERATIONS.map((op) => `/admin/api/${op}`), '/admin/api/events', '/admin/api/session'];

  it(`answers 4xx, shows no token and changes nothing (${FUZZ.runs} cases, seed ${FUZZ.seed})`, async () => {
    const arb = fc.constantFrom(...targets).chain((target) => fc.tuple(fc.constant(target), spellingOf(target), methodFor(target.endsWith('/events') ? 'GET' : 'POST', METHODS)));
    await fc.assert(
      fc.asyncProperty(arb, async ([target, spelling, method]) => {
        const op = target.slice('/admin/api/'.length);
        const body = method === 'GET' || method === 'HEAD' ? undefined : JSON.stringify(HARMFUL[op] ?? {});
        const res = await send(method, spelling, body, { origin: `https://127.0.0.1:${h.info.port}` });
        const served = (method === 'GET' || method === 'HEAD') && (res.status === 200 || res.status === 302) && !res.text.includes('"signedIn"');
        assert.ok((res.status >= 400 && res.status < 500) || (served && !/\{"(record|token|settings|changes)"/.test(res.text)), `${method} ${spelling.path}${spelling.absolute ? ' (absolute-form)' : ''} → ${res.status} ${res.text.slice(0, 200)}`);
        assert.ok(!res.text.includes('gth_'), `${method} ${spelling.path} showed a token`);
        assert.equal(state(h), before, `${method} ${spelling.path} changed something`);
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
  });
});

describe('spellings of the management routes, with a token that may only run models', async () => {
  const h = await startHarness({ isLocalClient: onlyLoopback });
  const send = client(h);
  const inference = h.token('runner', { denyModels: ['qwen*'] });
  const routes: Array<[string, string, object]> = [
    ['POST', '/api/pull', { model: 'llama3.2' }],
    ['POST', '/api/push', { model: 'someone/llama3.2' }],
    ['POST', '/api/create', { model: 'x', from: 'llama3.2' }],
    ['POST', '/api/copy', { source: 'llama3.2', destination: 'y' }],
    ['DELETE', '/api/delete', { model: 'llama3.2' }],
    ['POST', '/api/chat', { model: 'qwen2.5:7b', messages: [] }],
    ['POST', '/api/experimental/web_search', { query: 'x' }],
  ];

  it(`reach nothing upstream (${FUZZ.runs} cases, seed ${FUZZ.seed})`, async () => {
    const arb = fc.constantFrom(...routes).chain((route) => fc.tuple(fc.constant(route), spellingOf(route[1]), methodFor(route[0], METHODS)));
    await fc.assert(
      fc.asyncProperty(arb, async ([[, , body], spelling, method]) => {
        const seen = h.fake.requests.length;
        const res = await send(method, spelling, method === 'GET' || method === 'HEAD' ? undefined : JSON.stringify(body), { authorization: `Bearer ${inference}` });
        assert.ok(res.status >= 400 && res.status < 500, `${method} ${spelling.path} → ${res.status} ${res.text.slice(0, 200)}`);
        assert.equal(h.fake.requests.length, seen, `${method} ${spelling.path} reached Ollama as ${h.fake.requests.at(-1)?.method} ${h.fake.requests.at(-1)?.url}`);
      }),
      { numRuns: FUZZ.runs, seed: FUZZ.seed },
    );
  });
});
