import { pipeline, type Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import { aclFor } from '../auth/model-acl';
import type { Metering } from '../metering/metering';
import type { RequestRecord } from '../metering/records';
import { streamKind, UsageReader, UsageStripper, type StreamKind, type UsageSource } from '../metering/usage-tap';
import type { ScannedBody } from './model-check';
import { sendFilteredList } from './model-lists';
import { sendProblem } from './problems';
import { answerHeaders, forwardedHeaders, type Upstreams } from './upstream';

/** OpenAI routes whose streams report usage only when asked (`stream_options.include_usage`). */
const USAGE_ON_REQUEST = new Set(['/v1/chat/completions', '/v1/completions']);
/** What a complete stream of each SSE route ends with; a stream without it was cut short. */
const TERMINATORS: Record<string, string> = {
  '/v1/chat/completions': '[DONE]',
  '/v1/completions': '[DONE]',
  '/v1/messages': 'message_stop',
  '/v1/responses': 'response.completed',
};
/** Management routes whose success is a state change worth an audit entry. */
const AUDITED: Record<string, string> = {
  '/api/pull': 'model.pulled',
  '/api/delete': 'model.deleted',
  '/api/copy': 'model.copied',
  '/api/create': 'model.created',
  '/api/push': 'model.pushed',
};

export interface ForwardDeps {
  upstreams: Upstreams;
  upstream: () => string;
  metering: Metering;
  metered: () => boolean;
}

/**
 * A streamed OpenAI request that did not ask for usage gets `include_usage` added, so its tokens
 * can be counted; the tap then keeps the extra usage from the client. The bytes are spliced, not
 * re-serialised: the rest of the body (which may be megabytes of images) is copied once as it is.
 * Returns the body to send, or undefined to send the client's own.
 */
export function withUsageRequested(path: string, body: ScannedBody | undefined): Buffer | undefined {
  if (!body || !USAGE_ON_REQUEST.has(path) || body.get('stream') !== true) return undefined;
  const { buf, top } = body;
  const options = top.entries.filter((e) => e.key === 'stream_options').at(-1);
  if (!options) {
    const empty = top.entries.length === 0;
    return Buffer.concat([buf.subarray(0, top.close), Buffer.from(`${empty ? '' : ','}"stream_options":{"include_usage":true}`), buf.subarray(top.close)]);
  }
  const value = body.get('stream_options');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined; // Ollama will refuse it
  if ((value as Record<string, unknown>).include_usage === true) return undefined;
  // A last `include_usage` wins in Go's decoder, so appending one overrides a `false`.
  const inner = buf.subarray(options.start, options.end);
  const closing = inner.lastIndexOf(0x7d);
  const hasFields = Object.keys(value).length > 0;
  return Buffer.concat([buf.subarray(0, options.start + closing), Buffer.from(`${hasFields ? ',' : ''}"include_usage":true`), buf.subarray(options.start + closing)]);
}

/** Only streams are counted by their pieces: a JSON answer (an error, a list) is one piece of nothing. */
const streamedKind = (kind: StreamKind | undefined) => kind === 'ndjson' || kind === 'sse';

type OnAnswer = (reply: FastifyReply, answer: Dispatcher.ResponseData) => void;

/**
 * Sends the checked request to its canonical path upstream, without the client's query string,
 * with the body as JSON when it has one. A client that goes away before Ollama answers aborts the
 * upstream request at once (the GPU stops working for nobody); once the answer streams, fastify
 * destroys it on a disconnect, which closes the upstream connection the same way.
 */
function sendToOllama(request: FastifyRequest, reply: FastifyReply, deps: ForwardDeps, body: Buffer | undefined, onAnswer: OnAnswer): FastifyReply {
  const upstream = deps.upstream();
  const { url, pool } = deps.upstreams.get(upstream);
  const headers = forwardedHeaders(request.headers, url.host);
  if (body) {
    // Ollama reads JSON, and forms (an audio upload) with the boundary the client chose.
    const form = request.gatehouse.match!.route.form ? request.headers['content-type'] : undefined;
    headers['content-type'] = form ?? 'application/json';
    headers['content-length'] = String(body.length);
  }
  const controller = new AbortController();
  const gone = () => {
    if (!reply.raw.writableFinished) controller.abort();
  };
  reply.raw.once('close', gone);
  const sent = pool.request({ method: request.method, path: request.gatehouse.match!.path, headers, body: body ?? null, signal: controller.signal });
  // The body now belongs to undici until it is written: nothing here keeps it alive after that.
  (request as { body: unknown }).body = undefined;
  request.gatehouse.body = undefined;
  sent
    .then((answer) => {
      if (controller.signal.aborted || reply.raw.destroyed) return void answer.body.destroy();
      void reply.code(answer.statusCode).headers(answerHeaders(answer.headers));
      onAnswer(reply, answer);
    })
    .catch(() => {
      if (controller.signal.aborted || reply.sent) return; // the client left: nobody to answer
      sendProblem(reply, {
        status: 502,
        code: 'upstream_unreachable',
        message: `Ollama is not reachable at ${upstream}. Start Ollama on the Gatehouse computer, or check the upstream setting.`,
      });
    });
  return reply;
}

const bodyOf = (request: FastifyRequest) => (Buffer.isBuffer(request.body) ? request.body : undefined);

/** With usage metering off: the answer goes straight through (model lists are still filtered). */
function forwardUnmetered(request: FastifyRequest, reply: FastifyReply, deps: ForwardDeps) {
  const context = request.gatehouse;
  const list = request.method === 'GET' ? context.match!.route.list : undefined;
  return sendToOllama(request, reply, deps, bodyOf(request), (out, answer) =>
    list ? sendFilteredList(out, answer.body, list, aclFor(context.token)) : void out.send(answer.body),
  );
}

/**
 * Sends the checked request to Ollama and the answer to the client, metering on the way: a
 * UsageReader watches the response go by (a UsageStripper rewrites it when the gateway asked for
 * usage the client did not), and when the client's connection closes, one request record is
 * queued with what was counted, however the request ended.
 */
export function forward(request: FastifyRequest, reply: FastifyReply, deps: ForwardDeps): FastifyReply {
  const context = request.gatehouse;
  const match = context.match!;
  if (!deps.metered()) return forwardUnmetered(request, reply, deps);
  const forwardedAt = performance.now();
  const original = bodyOf(request);
  const injected = withUsageRequested(match.route.pattern, context.body);
  // Only the length is kept for the record: the body itself may be freed once it is sent.
  const bytesIn = original?.length ?? Number(request.headers['content-length'] ?? 0);
  const askedForUsage = injected !== undefined;
  const seen: Seen = {};
  const list = request.method === 'GET' ? match.route.list : undefined;

  const onAnswer: OnAnswer = (out, answer) => {
    if (list) return sendFilteredList(out, answer.body, list, aclFor(context.token));
    seen.kind = streamKind(out.getHeader('content-type') as string | undefined);
    if (askedForUsage && seen.kind === 'sse') {
      const stripper = new UsageStripper(TERMINATORS[match.route.pattern]);
      seen.tap = stripper;
      // The stripper changes the bytes, so Ollama's length (if any) no longer holds.
      void out.removeHeader('content-length').send(pipeline(answer.body, stripper, () => {}));
      return;
    }
    const reader = new UsageReader(seen.kind, TERMINATORS[match.route.pattern]);
    seen.tap = reader;
    watch(out, answer.body, reader);
    void out.send(answer.body);
  };

  recordWhenClosed(request, reply, deps, seen, { forwardedAt, bytesIn });

  return sendToOllama(request, reply, deps, injected ?? original, onAnswer);
}

/** What the usage tap saw of the answer, once Ollama began to send it. */
interface Seen {
  tap?: UsageSource;
  kind?: StreamKind;
}

/**
 * When the client's connection closes, however the request ended, queues one request record with
 * what was counted (and an audit row for a completed pull, push, create, copy or delete).
 */
function recordWhenClosed(request: FastifyRequest, reply: FastifyReply, deps: ForwardDeps, seen: Seen, meta: { forwardedAt: number; bytesIn: number }): void {
  const context = request.gatehouse;
  const match = context.match!;
  const route = `${request.method} ${match.route.pattern}`;
  const liveId = deps.metering.requestStarted({ at: context.at, tokenName: context.token?.name ?? null, model: context.models?.[0] ?? null, route, ip: context.ip });
  reply.raw.once('close', () => {
    const status = reply.statusCode;
    const aborted = !reply.raw.writableFinished;
    const usage = seen.tap?.usage;
    const record: RequestRecord = {
      at: context.at,
      tokenId: context.token?.id ?? null,
      tokenName: context.token?.name ?? null,
      model: context.models?.[0] ?? null,
      route,
      status,
      durationMs: performance.now() - context.startedAt,
      ttfbMs: seen.tap?.firstByteAt === undefined ? null : seen.tap.firstByteAt - context.startedAt,
      promptTokens: usage?.promptTokens ?? null,
      // A generation cut short has no final metrics: count what was generated until then.
      completionTokens: usage?.completionTokens ?? (seen.tap && match.route.generates && streamedKind(seen.kind) && seen.tap.pieces > 0 ? seen.tap.pieces : null),
      streamed: streamedKind(seen.kind),
      aborted,
      error: usage?.error ?? (status >= 400 ? `HTTP ${status}` : null),
      ip: context.ip,
      bytesIn: meta.bytesIn,
      bytesOut: seen.tap ? seen.tap.bytesOut : Number(reply.getHeader('content-length') ?? 0),
      overheadMs: meta.forwardedAt - context.startedAt,
    };
    deps.metering.record(record, liveId);
    const action = AUDITED[match.route.pattern];
    if (action && status === 200 && !aborted && !record.error) {
      deps.metering.audit({ at: Date.now(), actor: 'api', action, target: context.models?.join(' → ') ?? null, detail: `token ${context.token?.name ?? '(this computer)'}` });
    }
  });
}

/**
 * Reads beside the pipe, not in it: listens only once fastify has piped the stream to the client,
 * so no chunk can flow before the client's side is attached.
 */
function watch(out: FastifyReply, body: Readable, reader: UsageReader): void {
  out.raw.once('pipe', () => {
    body.on('data', (chunk: Buffer) => reader.observe(chunk));
    body.once('end', () => reader.finish());
  });
}
