import type { z } from 'zod';

/**
 * Every error code Gatehouse raises, with the HTTP status the dashboard API, the invite pages and
 * the sign-in routes answer it with. A misspelt code fails the typecheck; a new code must pick its
 * status here, once.
 */
export const ERRORS = {
  BAD_USAGE: 400,
  BODY_TOO_LARGE: 413,
  PASSWORD_INVALID: 400,
  TOTP_INVALID: 400,
  SESSION_INVALID: 401,
  LINK_INVALID: 401,
  SIGN_IN_FAILED: 401,
  LOCAL_ONLY: 403,
  REGISTRY_REFUSED: 403,
  REMOTE_ADMIN_OFF: 403,
  CROSS_SITE: 403,
  CSRF: 403,
  ADMIN_LOCAL_ONLY: 403,
  ADMIN_ADDRESS_REFUSED: 403,
  TOKEN_NOT_FOUND: 404,
  INVITE_NOT_FOUND: 404,
  UPSTREAM_NOT_FOUND: 404,
  NO_HOSTS: 409,
  UNKNOWN_OPERATION: 404,
  NO_LOCAL_CA: 409,
  NOT_SUPERVISING: 409,
  OLLAMA_NOT_OURS: 409,
  INVITE_INVALID: 410,
  FOREIGN_HOST: 421,
  SIGN_IN_LOCKED: 429,
  SIGN_IN_BUSY: 429,
  TOO_MANY_TRIES: 429,
  INTERNAL: 500,
  OLLAMA_UNREACHABLE: 502,
  OLLAMA_BAD_ANSWER: 502,
  OLLAMA_ERROR: 502,
  PULL_FAILED: 502,
  PULL_INCOMPLETE: 502,
  PAUSED: 503,
  CONTROL_LOST: 503,
  // Raised while starting up (the CLI prints them; no HTTP answer carries them).
  INSECURE_BIND: 409,
  PORT_IN_USE: 409,
  PORT_FORBIDDEN: 409,
  ADDRESS_NOT_AVAILABLE: 409,
  LISTEN_FAILED: 409,
  UPSTREAM_NOT_LOCAL: 409,
  DATA_DIR_NOT_A_FOLDER: 409,
  DATA_DIR_NOT_PRIVATE: 409,
  DB_TOO_NEW: 409,
  DB_CORRUPT: 409,
  DB_OPEN_FAILED: 409,
  SECRET_SEALED: 409,
  TLS_CA_DAMAGED: 409,
  TLS_CUSTOM_MISSING: 409,
  TLS_CUSTOM_UNREADABLE: 409,
  TLS_CUSTOM_INVALID: 409,
  TLS_TAILSCALE: 409,
  // A certificate from an ACME authority (Let's Encrypt) could not be had: the DNS, the authority or its limits.
  TLS_ACME_DNS: 502,
  TLS_ACME_FAILED: 502,
  TLS_ACME_RATE_LIMITED: 429,
  TLS_ACME_UNAVAILABLE: 409,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERRORS;

/** The HTTP status for a code; an unknown string (from an old client) is a conflict. */
export function statusOf(code: string): number {
  return Object.hasOwn(ERRORS, code) ? ERRORS[code as ErrorCode] : 409;
}

/**
 * An error a person can act on: a stable code for programs, a plain sentence saying what happened,
 * and, when there is one, what to do about it. The CLI prints `message` (and `fix`); the gateway
 * turns it into the error shape of the API family the client speaks.
 */
export class GatehouseError extends Error {
  override readonly name = 'GatehouseError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fix?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The HTTP status its code carries. */
  get status(): number {
    return ERRORS[this.code];
  }

  /** The message and the fix as one line, for a terminal or a log. */
  describe(): string {
    return this.fix ? `${this.message} ${this.fix}` : this.message;
  }
}

/** Thrown for bad input (a CLI flag, a token name); the CLI exits with status 2 for these. */
export class UsageError extends GatehouseError {
  constructor(message: string, fix?: string) {
    super('BAD_USAGE', message, fix);
  }
}

/** Validates with a schema; a refusal is a UsageError carrying the schema's own message. */
export function parseArgument<T>(schema: z.ZodType<T, unknown>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new UsageError(result.error.issues[0]?.message ?? 'That value is not accepted.');
}

export function describeError(err: unknown): string {
  if (err instanceof GatehouseError) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}
