import type { FastifyInstance } from 'fastify';
import { sendProblem } from './problems';

/**
 * Percent-escapes that no Ollama, dashboard or invite path needs and that let one path be read
 * two ways: escaped letters, digits and `-._~` (which a router decodes and a string check does not:
 * `/admin/%61pi` is `/admin/api`), `/` and `\` (segment boundaries), NUL, and `%` itself (a second
 * decoding pass). Reserved characters such as `:` stay allowed (model names in `/v1/models/…`).
 */
const AMBIGUOUS_ESCAPE = /%(?:[46][1-9a-f]|[57][0-9a]|3[0-9]|2[5d-f]|5[cf]|7e|00)/i;
const BROKEN_ESCAPE = /%(?![0-9a-f]{2})/i;

/** Why a request target is refused before routing, or null when it is a plain origin-form path. */
export function targetProblem(rawUrl: string): string | null {
  // Absolute-form (`POST https://host/admin/api/x`) and asterisk-form (`OPTIONS *`) are for proxies.
  if (!rawUrl.startsWith('/')) return 'The request target must be a path starting with "/" (absolute URLs and "*" are not accepted).';
  if (rawUrl.includes('#')) return 'The request target must not contain a fragment ("#").';
  const q = rawUrl.indexOf('?');
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
  if (BROKEN_ESCAPE.test(path)) return 'The request path has broken percent-encoding.';
  if (AMBIGUOUS_ESCAPE.test(path)) {
    return 'The request path percent-encodes a character that must be written plainly (a letter, digit, "-", ".", "_", "~", "/", "\\", "%" or NUL).';
  }
  return null;
}

/**
 * The first hook of the whole server: every request target is checked in its raw form before the
 * router reads it, so every later decision (which plugin, which route, which hooks) is made on a
 * path that has exactly one meaning.
 */
export function requestTargetGate(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    const problem = targetProblem(request.raw.url ?? '');
    if (problem === null) return done();
    void reply.header('connection', 'close');
    sendProblem(reply, { status: 400, code: 'bad_request_target', message: problem });
  });
}
