import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { Agent, fetch as undiciFetch } from 'undici';
import type { CreateTokenInput } from '../main/auth/tokens';
import type { RequestRecord } from '../main/metering/records';
import { createCore, type Core, type CoreOptions, type ServingInfo } from '../main/core';
import { silentLogger } from '../main/log';
import { startFakeOllama, type FakeOllama, type FakeOptions } from './fixtures/fake-ollama';

/** A temp folder removed after the test file. */
export function tempDir(prefix = 'gatehouse-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Harness {
  core: Core;
  info: ServingInfo;
  fake: FakeOllama;
  dataDir: string;
  /** Base URL of the gateway on 127.0.0.1. */
  url: string;
  /** The CA to trust (absent with tls:false). */
  ca?: string;
  /** A fresh token with the given policy. */
  token(name?: string, policy?: Omit<CreateTokenInput, 'name'>): string;
}

let tokenCounter = 0;

/** A real gateway on 127.0.0.1:0 in front of a real fake Ollama, both closed after the test file. */
export async function startHarness(
  options: Partial<CoreOptions> & { fake?: FakeOptions } = {},
): Promise<Harness> {
  const fake = await startFakeOllama(options.fake);
  const dataDir = options.dataDir ?? tempDir();
  const core = await createCore({
    log: silentLogger,
    watchIntervalMs: 50,
    closeGraceMs: 2000,
    ...options,
    dataDir,
    overrides: { host: '127.0.0.1', port: 0, upstream: fake.url, ...options.overrides },
  });
  const info = await core.listen();
  after(async () => {
    await core.close();
    await fake.close();
  });
  const scheme = options.tls === false ? 'http' : 'https';
  const caPem = info.tls?.caFingerprint ? readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8') : undefined;
  return {
    core,
    info,
    fake,
    dataDir,
    url: `${scheme}://127.0.0.1:${info.port}`,
    ...(caPem ? { ca: caPem } : {}),
    token: (name, policy) => core.tokens.create({ name: name ?? `t${++tokenCounter}`, ...policy }).token,
  };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | object;
  ca?: string;
  /** Bind the client socket to this local address (e.g. 127.0.0.2 to look like another computer). */
  localAddress?: string;
  /** The name the server certificate is checked against, when the Host header says something else. */
  servername?: string;
}

/** One HTTP(S) request with the whole answer read. */
export function call(url: string, options: CallOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = open(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Starts a request and hands over the response stream as it arrives. */
export function open(url: string, options: CallOptions, onResponse: (res: IncomingMessage) => void) {
  const body =
    options.body === undefined ? undefined : typeof options.body === 'string' || Buffer.isBuffer(options.body) ? options.body : JSON.stringify(options.body);
  const make = url.startsWith('https:') ? httpsRequest : httpRequest;
  // Split by hand: the URL class would resolve "..", "." and backslashes before they are sent.
  const [, authority = '', path = '/'] = /^https?:\/\/([^/]+)(.*)$/s.exec(url) ?? [];
  const [, hostname = '', port = ''] = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(authority) ?? [];
  const req = make(
    {
      hostname,
      port,
      path,
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      // An explicit length: Node sends a DELETE body without one otherwise, which no server can frame.
      headers: { ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}), ...options.headers },
      ...(options.ca ? { ca: options.ca } : {}),
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      ...(options.servername ? { servername: options.servername } : {}),
      agent: false,
    },
    onResponse,
  );
  req.end(body);
  return req;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Waits until `check` returns true, polling; fails after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 2000, what = 'condition'): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

/** Why a test that needs these Debian packages' commands cannot run here (CI installs them all). */
export function commandsMissing(...commands: string[]): string | undefined {
  if (process.env.CI) return undefined;
  const missing = commands.filter((c) => !['/usr/bin', '/usr/sbin', '/usr/local/bin'].some((dir) => existsSync(join(dir, c))));
  return missing.length ? `needs ${missing.join(', ')} (Debian: apt-get install pebble libnss3-tools; CI installs them)` : undefined;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether a process exists and is not a zombie waiting to be reaped. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * A dispatcher that reaches any name at this computer and trusts only `ca`: a teammate whose DNS
 * points the name here and whose system trusts the public CA (Let's Encrypt) that issued it.
 */
export function byName(ca: string): Agent {
  const agent = new Agent({
    connect: {
      ca,
      lookup: ((_host: string, options: { all?: boolean }, done: (...args: unknown[]) => void) =>
        options.all ? done(null, [{ address: '127.0.0.1', family: 4 }]) : done(null, '127.0.0.1', 4)) as never,
    },
  });
  after(() => agent.close());
  return agent;
}

/** A fetch that trusts only `ca`, for the client libraries that take one (ollama, openai, Anthropic). */
export function trustingFetch(ca: string): typeof fetch {
  const dispatcher = new Agent({ connect: { ca } });
  after(() => dispatcher.close());
  return (input: string | URL | Request, init?: RequestInit) => undiciFetch(input as string, { ...(init as object), dispatcher });
}

/** The request records of a token, once the batch writer has written `count` of them (and no more). */
export async function recordsOf(h: Harness, tokenName: string, count = 1): Promise<RequestRecord[]> {
  let rows: RequestRecord[] = [];
  await eventually(() => {
    h.core.metering.flush();
    rows = h.core.store.metering.requestsSince(0).filter((r) => r.tokenName === tokenName);
    return rows.length >= count;
  }, 3000, `${count} record(s) for ${tokenName}`);
  assert.equal(rows.length, count);
  return rows;
}

/** The one request record of a token. */
export const recordOf = async (h: Harness, tokenName: string): Promise<RequestRecord> => (await recordsOf(h, tokenName))[0]!;
