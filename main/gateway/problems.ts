import type { FastifyReply } from 'fastify';
import type { RequestContext } from './access/request-context';
import { familyOf, normalisePath, type Family } from './routes';

/** An error answer before or instead of the upstream's. `code` is stable; `message` is for people. */
export interface Problem {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
  /** Ollama's clients read `signin_url` from a 401 (its CLI prints it, and `ollama signin` opens it). */
  signinUrl?: string;
}

const OPENAI_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  413: 'invalid_request_error',
  429: 'rate_limit_error',
};

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  503: 'overloaded_error',
  529: 'overloaded_error',
};

/** The body in the shape the client's SDK parses, so the message reaches the person using it. */
export function problemBody(family: Family, problem: Problem): string {
  if (family === 'anthropic') {
    const type = ANTHROPIC_TYPES[problem.status] ?? (problem.status >= 500 ? 'api_error' : 'invalid_request_error');
    return JSON.stringify({ type: 'error', error: { type, message: problem.message } });
  }
  if (family === 'openai') {
    const type = OPENAI_TYPES[problem.status] ?? (problem.status >= 500 ? 'server_error' : 'invalid_request_error');
    return JSON.stringify({ error: { message: problem.message, type, code: problem.code } });
  }
  return JSON.stringify(problem.signinUrl ? { error: problem.message, signin_url: problem.signinUrl } : { error: problem.message });
}

/**
 * Decided on the route or canonical path the request context computed; a request that never got
 * a context (refused before it) is read through the same normalisation.
 */
function familyOfRequest(request: { url: string; gatehouse?: RequestContext | null }): Family {
  const context = request.gatehouse;
  if (context?.match) return context.match.route.family;
  const path = context?.path ?? normalisePath(request.url);
  // A path with no canonical form is refused whatever it is; only its answer's shape is read from it.
  return familyOf(path.ok ? path.path : request.url.split('?')[0]!.replace(/\/{2,}/g, '/'));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the reply of any route or server flavour will do
type AnyReply = FastifyReply<any, any, any, any, any, any, any, any>;

/** Answers with the problem; returns true so a hook can `return sendProblem(...)` to say "refused". */
export function sendProblem(reply: AnyReply, problem: Problem): true {
  const family = familyOfRequest(reply.request as { url: string; gatehouse?: RequestContext | null });
  if (problem.headers) void reply.headers(problem.headers);
  void reply
    .code(problem.status)
    .header('content-type', 'application/json; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(problemBody(family, problem));
  return true;
}
