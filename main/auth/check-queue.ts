/** What `CheckQueue.run` answers when too many checks already wait. */
export const BUSY = Symbol('busy');

/**
 * At most `parallel` slow checks (scrypt password hashes) at a time, and at most `waiting` more in
 * line; beyond that, callers are told to come back instead of queueing without end. scrypt runs on
 * libuv's four threads, which the rest of the process (TLS, file reads) also needs, so a burst of
 * wrong passwords must not take all of them.
 */
export class CheckQueue {
  private running = 0;
  private readonly line: Array<() => void> = [];

  constructor(
    private readonly parallel = 2,
    private readonly waiting = 8,
  ) {}

  async run<T>(check: () => Promise<T>): Promise<T | typeof BUSY> {
    if (this.running >= this.parallel) {
      if (this.line.length >= this.waiting) return BUSY;
      await new Promise<void>((resolve) => this.line.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await check();
    } finally {
      const next = this.line.shift();
      if (next) next();
      else this.running--;
    }
  }
}
