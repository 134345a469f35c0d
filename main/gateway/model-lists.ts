import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { ModelAcl } from '../auth/model-acl';
import { canonicalModelName } from '../auth/model-names';
import { sendProblem } from './problems';
import type { ListShape } from './routes';

/** Model lists are small; anything larger than this from Ollama is not a model list. */
export const MAX_LIST_BYTES = 16 * 1024 * 1024;

/** Keeps only the entries whose model the ACL allows; returns undefined when the JSON is not a list. */
export function filterModelList(text: string, shape: ListShape, acl: ModelAcl): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const list = (body as Record<string, unknown>)[shape.array];
  if (list === null || list === undefined) return text;
  if (!Array.isArray(list)) return undefined;
  const kept = list.filter((entry: unknown) => {
    const fields = entry as Record<string, unknown> | null;
    const parsed = canonicalModelName(fields?.[shape.nameField]);
    // An alias of a cloud model (Ollama lists it with remote_host) is a cloud model, whatever its name.
    if (fields?.remote_host && !acl.cloud) return false;
    return parsed.ok && acl.check(parsed.canonical).allowed;
  });
  return JSON.stringify({ ...(body), [shape.array]: kept });
}

/**
 * Sends Ollama's list answer with the models this token may not use taken out. The list is read
 * whole (it is small), so the length header is recomputed.
 */
export function sendFilteredList(reply: FastifyReply, upstream: Readable, shape: ListShape, acl: ModelAcl): void {
  if (reply.statusCode !== 200) {
    void reply.send(upstream);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const fail = () =>
    sendProblem(reply, { status: 502, code: 'upstream_bad_answer', message: 'Ollama answered the model list with something that is not a model list.' });
  upstream.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_LIST_BYTES) {
      upstream.destroy();
      fail();
      return;
    }
    chunks.push(chunk);
  });
  upstream.on('error', () => {
    if (!reply.sent) fail();
  });
  upstream.on('end', () => {
    if (reply.sent) return;
    const filtered = filterModelList(Buffer.concat(chunks).toString('utf8'), shape, acl);
    if (filtered === undefined) {
      fail();
      return;
    }
    reply.removeHeader('content-length');
    reply.removeHeader('transfer-encoding');
    void reply.type('application/json; charset=utf-8').send(filtered);
  });
}
