import { pipeline, type Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { aclFor } from '../auth/model-acl';
import type { Metering } from '../metering/metering';
import type { RequestRecord } from '../metering/records';
import { streamKind, UsageReader, UsageStripper, type StreamKind, type UsageSource } from '../metering/usage-tap';
import type { ScannedBody } from './model-check';
import { sendMergedList } from './merged-lists';
import { sendFilteredList } from './model-lists';
import type { ListShape } from './routes';
import { sendToOllama, type OnAnswer, type UpstreamDeps } from './send-upstream';

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

export interface ForwardDeps extends UpstreamDeps {
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

const bodyOf = (request: FastifyRequest) => (Buffer.isBuffer(request.body) ? request.body : undefined);

/** With several hosts, a model list is every host's, merged; it is not sent to one of them. */
function merged(request: FastifyRequest, reply: FastifyReply, deps: ForwardDeps, list: ListShape | undefined): boolean {
  if (!list || deps.hosts.size === 1) return false;
  void sendMergedList(reply, deps.hosts.list(), request.gatehouse.match!.path, list, aclFor(request.gatehouse.token));
  return true;
}

/** With usage metering off: the answer goes straight through (model lists are still filtered). */
function forwardUnmetered(request: FastifyRequest, reply: FastifyReply, deps: ForwardDeps) {
  const context = request.gatehouse;
  const list = request.method === 'GET' ? context.match!.route.list : undefined;
  if (merged(request, reply, deps, list)) return reply;
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
  if (merged(request, reply, deps, list)) return reply;
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
      upstream: context.upstream ?? null,
    };
    deps.metering.record(record, liveId);
    const action = AUDITED[match.route.pattern];
    if (action && status === 200 && !aborted && !record.error) {
      const on = deps.hosts.size > 1 ? ` on ${context.upstream}` : '';
      deps.metering.audit({ at: Date.now(), actor: 'api', action, target: context.models?.join(' → ') ?? null, detail: `token ${context.token?.name ?? '(this computer)'}${on}` });
      // The host has other models now: routing should know before the next poll.
      if (on) void deps.hosts.refresh(context.upstream);
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
