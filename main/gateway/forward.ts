import { pipeline } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyReplyFromHooks } from '@fastify/reply-from';
import { aclFor } from '../auth/model-acl';
import type { Metering } from '../metering/metering';
import type { RequestRecord } from '../metering/records';
import { streamKind, UsageReader, UsageStripper, type StreamKind, type UsageSource } from '../metering/usage-tap';
import { sendFilteredList } from './model-lists';

/** OpenAI routes whose streams report usage only when asked (`stream_options.include_usage`). */
const USAGE_ON_REQUEST = new Set(['/v1/chat/completions', '/v1/completions']);
/** Management routes whose success is a state change worth an audit entry. */
const AUDITED: Record<string, string> = {
  '/api/pull': 'model.pulled',
  '/api/delete': 'model.deleted',
  '/api/copy': 'model.copied',
  '/api/create': 'model.created',
  '/api/push': 'model.pushed',
};

/**
 * A streamed OpenAI request that did not ask for usage gets `include_usage` added, so its tokens
 * can be counted; the tap then keeps the extra usage from the client. Returns the body to send.
 */
function withUsageRequested(path: string, json: Record<string, unknown> | undefined): Buffer | undefined {
  if (!json || !USAGE_ON_REQUEST.has(path) || json.stream !== true) return undefined;
  const options = json.stream_options;
  if (options && typeof options === 'object' && (options as Record<string, unknown>).include_usage === true) return undefined;
  const merged = { ...(options && typeof options === 'object' ? options : {}), include_usage: true };
  return Buffer.from(JSON.stringify({ ...json, stream_options: merged }));
}

/** Sends the request upstream to its canonical path, with the body (as JSON) when it has one. */
function sendToOllama(reply: FastifyReply, path: string, options: FastifyReplyFromHooks, body: Buffer | undefined) {
  return body ? reply.from(path, { ...options, body, contentType: 'application/json' }) : reply.from(path, options);
}

/** With usage metering off: the answer goes straight through (model lists are still filtered). */
function forwardUnmetered(request: FastifyRequest, reply: FastifyReply, options: FastifyReplyFromHooks) {
  const context = request.gatehouse;
  const list = request.method === 'GET' ? context.match!.route.list : undefined;
  const replyOptions: FastifyReplyFromHooks = list
    ? { ...options, onResponse: (_req, rep, res) => sendFilteredList(rep as FastifyReply, res.stream, list, aclFor(context.token)) }
    : options;
  return sendToOllama(reply, context.match!.path, replyOptions, Buffer.isBuffer(request.body) ? request.body : undefined);
}

/**
 * Sends the checked request to Ollama and the answer to the client, metering on the way: a
 * UsageReader watches the response go by (a UsageStripper rewrites it when the gateway asked for
 * usage the client did not), and when the client's connection
 * closes, one request record is queued with what was counted, however the request ended.
 */
export function forward(request: FastifyRequest, reply: FastifyReply, options: FastifyReplyFromHooks, metering: Metering, metered: boolean) {
  const context = request.gatehouse;
  const match = context.match!;
  if (!metered) return forwardUnmetered(request, reply, options);
  const forwardedAt = performance.now();
  const original = Buffer.isBuffer(request.body) ? request.body : undefined;
  const injected = withUsageRequested(match.route.pattern, context.json);
  const body = injected ?? original;
  let tap: UsageSource | undefined;
  let kind: StreamKind | undefined;
  const list = request.method === 'GET' ? match.route.list : undefined;

  const replyOptions: FastifyReplyFromHooks = {
    ...options,
    onResponse: (_req, rep, res) => {
      const out = rep as FastifyReply;
      if (list) return sendFilteredList(out, res.stream, list, aclFor(context.token));
      kind = streamKind(out.getHeader('content-type') as string | undefined);
      if (injected && kind === 'sse') {
        const stripper = new UsageStripper();
        tap = stripper;
        void out.send(pipeline(res.stream, stripper, () => {}));
        return;
      }
      const reader = new UsageReader(kind);
      tap = reader;
      // Read beside the pipe, not in it: listen only once fastify has piped the stream to the
      // client, so no chunk can flow before the client's side is attached.
      out.raw.once('pipe', () => {
        res.stream.on('data', (chunk: Buffer) => reader.observe(chunk));
        res.stream.once('end', () => reader.finish());
      });
      void out.send(res.stream);
    },
  };

  const liveId = metering.requestStarted({
    at: context.at,
    tokenName: context.token?.name ?? null,
    model: context.models?.[0] ?? null,
    route: `${request.method} ${match.route.pattern}`,
    ip: context.ip,
  });
  reply.raw.once('close', () => {
    const now = performance.now();
    const status = reply.statusCode;
    const aborted = !reply.raw.writableFinished;
    const usage = tap?.usage;
    const record: RequestRecord = {
      at: context.at,
      tokenId: context.token?.id ?? null,
      tokenName: context.token?.name ?? null,
      model: context.models?.[0] ?? null,
      route: `${request.method} ${match.route.pattern}`,
      status,
      durationMs: now - context.startedAt,
      ttfbMs: tap?.firstByteAt === undefined ? null : tap.firstByteAt - context.startedAt,
      promptTokens: usage?.promptTokens ?? null,
      // A stream cut short has no final metrics: count what was generated until then.
      completionTokens: usage?.completionTokens ?? (tap && tap.pieces > 0 ? tap.pieces : null),
      streamed: kind === 'ndjson' || kind === 'sse',
      aborted,
      error: usage?.error ?? (status >= 400 ? `HTTP ${status}` : null),
      ip: context.ip,
      bytesIn: original?.length ?? Number(request.headers['content-length'] ?? 0),
      bytesOut: tap ? tap.bytesOut : Number(reply.getHeader('content-length') ?? 0),
      overheadMs: forwardedAt - context.startedAt,
    };
    metering.record(record, liveId);
    const action = AUDITED[match.route.pattern];
    if (action && status === 200 && !aborted && !record.error) {
      metering.audit({ at: Date.now(), actor: 'api', action, target: context.models?.join(' → ') ?? null, detail: `token ${context.token?.name ?? '(this computer)'}` });
    }
  });

  return sendToOllama(reply, match.path, replyOptions, body);
}
