import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RateLimiter } from '../auth/limits';
import type { Settings } from '../config/settings';
import { errorBody } from '../control/control-api';
import { GatehouseError, statusOf, UsageError } from '../errors';
import type { SecuritySink } from '../metering/security-events';
import type { CreatedToken } from '../auth/tokens';
import type { Invites } from '../share/invites';
import { clientSnippets } from '../../preload/snippets';
import type { HostNames } from '../tls/addresses';
import { isOwnHost } from './admin/guard';
import { plainIp } from './client-address';
import { CSP_DIRECTIVES, HELMET_OPTIONS } from './security-headers';

export interface InviteDeps {
  invites: Invites;
  settings: () => Readonly<Settings>;
  isLocalClient: (ip: string) => boolean;
  hostNames: () => HostNames;
  rendererDir: string | null;
  /** The CA teammates must trust, with its fingerprint; null with a certificate of your own. */
  ca: () => { pem: string; fingerprint: string } | null;
  tls: boolean;
  security: SecuritySink;
  /** The web app gate's port, when one runs: a token with the web permission may open it. */
  webappPort?: () => number | null;
}

/** What a redemption must be: a short id and a secret string; anything else is a 400, never run. */
const redeemSchema = {
  params: { type: 'object', properties: { id: { type: 'string', maxLength: 40 } }, required: ['id'] },
  body: { type: 'object', properties: { secret: { type: 'string', maxLength: 100 }, ollamaKey: { type: 'string', maxLength: 500 } }, required: ['secret'] },
} as const;

/**
 * The page a teammate opens from an invite link, and its small API. No sign-in: the invite's
 * secret (from the link's fragment, never sent in a URL) is the credential, good once. Answers
 * only to this computer's own names, respects the pause switch, and limits tries per address.
 */
export async function invitePlugin(app: FastifyInstance, deps: InviteDeps): Promise<void> {
  const limiter = new RateLimiter();
  // One form may post: "Open the web app", to the web app gate under the name the teammate used.
  const formAction = (request: IncomingMessage) => webappUrl(request.headers.host, deps.webappPort?.()) ?? "'none'";
  await app.register(helmet, { ...HELMET_OPTIONS, contentSecurityPolicy: { useDefaults: false, directives: { ...CSP_DIRECTIVES, formAction: [formAction as unknown as string] } } });

  const fail = (request: FastifyRequest, reply: FastifyReply, err: GatehouseError, secEvent: boolean) => {
    const status = statusOf(err.code);
    if (secEvent) deps.security({ at: Date.now(), kind: 'invite_failed', ip: plainIp(request.ip), method: request.method, path: request.url.split('?')[0]!.slice(0, 120), detail: err.message });
    return reply.code(status).header('cache-control', 'no-store').send(errorBody(err));
  };

  app.addHook('onRequest', async (request, reply) => {
    if (!isOwnHost(request.headers.host, deps.hostNames())) {
      return fail(request, reply, new GatehouseError('FOREIGN_HOST', 'This page answers only to the Gatehouse computer\'s own names and addresses.'), false);
    }
    if (deps.settings().paused && !deps.isLocalClient(request.ip)) {
      return fail(request, reply, new GatehouseError('PAUSED', 'Remote access is paused on the Gatehouse computer.', 'Ask its owner to resume it, then open the link again.'), false);
    }
    // Ten tries a minute per address: plenty for a person, nothing for a guesser.
    if (request.method === 'POST' && !limiter.take(`invite:${plainIp(request.ip)}`, 10).ok) {
      void reply.header('retry-after', '60');
      return fail(request, reply, new GatehouseError('TOO_MANY_TRIES', 'Too many tries from this address. Wait a minute, then try again.'), true);
    }
  });

  app.get<{ Params: { id: string } }>('/invite/:id/info', (request, reply) => {
    try {
      const info = deps.invites.info(request.params.id);
      return { ...info, caFingerprint: deps.ca()?.fingerprint ?? null };
    } catch (err) {
      return fail(request, reply, err as GatehouseError, false);
    }
  });

  app.get('/invite/ca.crt', (request, reply) => {
    const ca = deps.ca();
    if (!ca) return fail(request, reply, new GatehouseError('NO_LOCAL_CA', 'This Gatehouse uses a certificate your system already trusts; there is nothing to download.'), false);
    return reply.type('application/x-pem-file').header('content-disposition', 'attachment; filename="gatehouse-ca.crt"').send(ca.pem);
  });

  app.post<{ Params: { id: string }; Body: { secret: string; ollamaKey?: string } }>('/invite/:id/redeem', { bodyLimit: 2048, schema: redeemSchema }, (request, reply) => {
    try {
      const created = deps.invites.redeem(request.params.id, request.body.secret, request.body.ollamaKey);
      return redeemed(created, request.headers.host, deps);
    } catch (err) {
      if (!(err instanceof GatehouseError)) throw err;
      return fail(request, reply, err, !(err instanceof UsageError));
    }
  });

  await invitePages(app, deps.rendererDir);
}

/** What the teammate gets for an accepted invite: their token, once, with everything to use it. */
function redeemed(created: CreatedToken, host: string | undefined, deps: InviteDeps) {
  const endpoint = `${deps.tls ? 'https' : 'http'}://${host}`;
  const model = created.record.allowModels.find((m) => !/[*?[]/.test(m)) ?? 'llama3.2';
  return {
    name: created.record.name,
    token: created.token,
    endpoint,
    caFingerprint: deps.ca()?.fingerprint ?? null,
    ollamaKeys: created.record.ollamaKeys.map((k) => k.fingerprint),
    webapp: webappUrl(host, created.record.web ? deps.webappPort?.() : null),
    snippets: clientSnippets({ endpoint, token: created.token, model, localCa: deps.ca() !== null }),
  };
}

/** The web app's address under the name the teammate used (the host was checked to be ours). */
function webappUrl(host: string | undefined, port: number | null | undefined): string | null {
  if (!port || !host) return null;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return `https://${name}:${port}`;
}

/** The invite page at /invite/<id> and the Share link's landing page, from the built renderer. */
async function invitePages(app: FastifyInstance, rendererDir: string | null): Promise<void> {
  const page = rendererDir && existsSync(join(rendererDir, 'invite.html')) ? rendererDir : null;
  if (page) {
    await app.register(fastifyStatic, { root: join(page, 'assets'), prefix: '/invite/assets/', decorateReply: false });
    const html = readFileSync(join(page, 'invite.html'), 'utf8');
    app.get('/invite/:id', (_request, reply) => reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html));
    // Where a browser opening the Share link lands (the gateway's GET / sends it here).
    const landing = existsSync(join(page, 'share.html')) ? readFileSync(join(page, 'share.html'), 'utf8') : null;
    if (landing) app.get('/invite/share', (_request, reply) => reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(landing));
  }
}
