import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import { describeFailure } from '../upstreams/health';
import type { UpstreamHost } from '../upstreams/host';
import type { UpstreamHosts } from '../upstreams/hosts';
import { sendProblem } from './problems';
import { LOCAL_POOL, type Scheduler } from './scheduler';
import { answerHeaders, forwardedHeaders } from './upstream';

export interface UpstreamDeps {
  hosts: UpstreamHosts;
  scheduler: Scheduler;
}

export type OnAnswer = (reply: FastifyReply, answer: Dispatcher.ResponseData) => void;

/** A 503 that says "busy, try later" (another Gatehouse's full queue) is an answer, not a broken host. */
const hostFailed = (answer: Dispatcher.ResponseData) => answer.statusCode >= 500 && !(answer.statusCode === 503 && answer.headers['retry-after'] !== undefined);

/** Drops an answer nobody will read (its destroy reports an abort, which is expected here). */
function discard(answer: Dispatcher.ResponseData): void {
  answer.body.on('error', () => {});
  answer.body.destroy();
}

/** The headers for one host: the allow-listed ones, its Host, its token, the body's type and length. */
function headersFor(request: FastifyRequest, host: UpstreamHost, body: Buffer | undefined, contentType: string | undefined) {
  const headers = forwardedHeaders(request.headers, host.dispatcher().url.host);
  const auth = host.authorization();
  if (auth) headers.authorization = auth;
  if (body) {
    headers['content-type'] = contentType!;
    headers['content-length'] = String(body.length);
  }
  return headers;
}

function unreachable(hosts: UpstreamHosts, host: UpstreamHost): string {
  return hosts.size > 1
    ? `Ollama is not reachable at the Ollama host "${host.name}" (${new URL(host.config.origin()).origin}). Start Ollama on that computer, or check the host with gatehouse upstreams list.`
    : `Ollama is not reachable at ${host.config.origin()}. Start Ollama on the Gatehouse computer, or check the upstream setting.`;
}

/**
 * Gives up the slot on the failed host and waits, in fair order, for one on the others; the host
 * to try next, or null when the client left meanwhile. A request that needs no slot goes at once.
 */
async function slotElsewhere(deps: UpstreamDeps, request: FastifyRequest, reply: FastifyReply, signal: AbortSignal, rest: string[]): Promise<string | null> {
  const context = request.gatehouse;
  const slot = context.slot;
  if (!slot) return rest[0]!;
  slot.grant.release();
  const grant = await deps.scheduler.acquire(slot.client, signal, rest);
  if (!grant.ok) return null;
  reply.raw.once('close', grant.release);
  context.slot = { grant, client: slot.client };
  return grant.pool;
}

/**
 * Sends the checked request to its canonical path on the chosen host, without the client's query
 * string, with the body as JSON when it has one. A client that goes away before the host answers
 * aborts the upstream request at once (the GPU stops working for nobody); once the answer streams,
 * fastify destroys it on a disconnect, which closes the upstream connection the same way.
 *
 * When the host cannot be reached or answers 5xx, nothing has reached the client yet: the host is
 * marked down and the request moves to the next host that has the model (with a slot there, when
 * it needs one). An answer that has begun is never sent again.
 */
export function sendToOllama(request: FastifyRequest, reply: FastifyReply, deps: UpstreamDeps, payload: Buffer | undefined, onAnswer: OnAnswer): FastifyReply {
  let held = payload;
  const context = request.gatehouse;
  const path = context.match!.path;
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  // Ollama reads JSON, and forms (an audio upload) with the boundary the client chose.
  const contentType = held ? (context.match!.route.form ? request.headers['content-type'] : undefined) ?? 'application/json' : undefined;
  const tried: string[] = [];

  const attempt = (name: string): void => {
    tried.push(name);
    context.upstream = name;
    const host = deps.hosts.get(name) ?? deps.hosts.get(LOCAL_POOL)!;
    const { url, pool } = host.dispatcher();
    const body = held;
    // Kept only while another host may still need it: a large body is not held through a long answer.
    if ((context.candidates?.length ?? 0) - tried.length <= 0) held = undefined;
    pool
      .request({ method: request.method, path, headers: headersFor(request, host, body, contentType), body: body ?? null, signal: controller.signal })
      .then((answer) => {
        if (controller.signal.aborted || reply.raw.destroyed) return discard(answer);
        if (hostFailed(answer)) {
          const error = `${url.origin} answered ${request.method} ${path} with HTTP ${answer.statusCode}.`;
          if (moveOn(name, error, () => discard(answer))) return;
        }
        void reply.code(answer.statusCode).headers(answerHeaders(answer.headers));
        onAnswer(reply, answer);
      })
      .catch((err: unknown) => {
        if (controller.signal.aborted || reply.sent) return; // the client left: nobody to answer
        if (moveOn(name, describeFailure(err, url.origin))) return;
        sendProblem(reply, { status: 502, code: 'upstream_unreachable', message: unreachable(deps.hosts, host) });
      });
  };

  /** Marks the host down and moves the request to the next candidate; false when there is none. */
  const moveOn = (failed: string, error: string, discard?: () => void): boolean => {
    if (deps.hosts.size > 1) deps.hosts.markFailed(failed, error);
    const rest = (context.candidates ?? []).filter((n) => !tried.includes(n) && deps.hosts.get(n)?.state !== 'down');
    if (rest.length === 0) return false;
    discard?.();
    void slotElsewhere(deps, request, reply, controller.signal, rest).then((next) => next && attempt(next));
    return true;
  };

  attempt(context.upstream ?? context.candidates?.[0] ?? LOCAL_POOL);
  // The body now belongs to undici until it is written (and to this closure while another host may need it).
  (request as { body: unknown }).body = undefined;
  context.body = undefined;
  return reply;
}
