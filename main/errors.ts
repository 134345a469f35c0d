/**
 * An error a person can act on: a stable code for programs, a plain sentence saying what happened,
 * and, when there is one, what to do about it. The CLI prints `message` (and `fix`); the gateway
 * turns it into the error shape of the API family the client speaks.
 */
export class GatehouseError extends Error {
  override readonly name = 'GatehouseError';

  constructor(
    readonly code: string,
    message: string,
    readonly fix?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
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

export function describeError(err: unknown): string {
  if (err instanceof GatehouseError) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}
