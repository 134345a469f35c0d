import type { FastifyRequest } from 'fastify';

export interface CookieNames {
  session: string;
  csrf: string;
}

const TLS_NAMES: CookieNames = { session: '__Host-gatehouse-session', csrf: '__Host-gatehouse-csrf' };

/**
 * The dashboard's cookie names. Over TLS, `__Host-` cookies (Secure, host-only, Path=/). Plain HTTP
 * (`--no-tls`, loopback only) cannot have that prefix, so the names carry the port the request
 * arrived on: a second Gatehouse, or any other program on another localhost port, then neither
 * overwrites these cookies nor has its own taken for ours. Browsers still send every localhost
 * cookie to every port, which is why TLS stays the default.
 */
export function cookieNames(tls: boolean, request: FastifyRequest): CookieNames {
  if (tls) return TLS_NAMES;
  const port = request.socket.localPort ?? 0;
  return { session: `gatehouse-session-${port}`, csrf: `gatehouse-csrf-${port}` };
}

export function cookieOptions(tls: boolean) {
  return { path: '/', secure: tls, sameSite: 'strict' as const };
}
