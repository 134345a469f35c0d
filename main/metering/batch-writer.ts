export interface BatchWriterOptions {
  maxQueue?: number;
  batchSize?: number;
  intervalMs?: number;
  /** Told once when writes start failing (they are retried), and once when they work again. */
  onStuck?: (err: unknown) => void;
  onRecovered?: (written: number) => void;
  /** Longest wait between retries of a failing write. */
  maxBackoffMs?: number;
  clock?: () => number;
}

/**
 * A bounded in-memory queue in front of a synchronous writer (one SQLite transaction per flush).
 * `push` never blocks and never throws. A write that fails (the database locked by another
 * program, a full disk) keeps its rows queued and is retried with a growing pause, so a stuck
 * store costs rows only when the queue overflows, which is counted, never a request or the process.
 */
export class BatchWriter<T> {
  private queue: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private failures = 0;
  private retryAt = 0;
  dropped = 0;
  written = 0;

  constructor(
    private readonly write: (rows: T[]) => void,
    private readonly options: BatchWriterOptions = {},
  ) {}

  private get clock() {
    return this.options.clock ?? Date.now;
  }

  start(): void {
    this.timer ??= setInterval(() => this.flush(), this.options.intervalMs ?? 1000);
    this.timer.unref();
  }

  push(row: T): void {
    if (this.queue.length >= (this.options.maxQueue ?? 10_000)) {
      this.dropped++;
      return;
    }
    this.queue.push(row);
    if (this.queue.length >= (this.options.batchSize ?? 500) && !this.scheduled && this.failures === 0) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is queued, unless a failing store asked to wait; `force` tries anyway (close, tests). */
  flush(force = false): void {
    this.scheduled = false;
    if (this.queue.length === 0 || (!force && this.clock() < this.retryAt)) return;
    const rows = this.queue;
    this.queue = [];
    try {
      this.write(rows);
      this.written += rows.length;
      if (this.failures > 0) this.options.onRecovered?.(rows.length);
      this.failures = 0;
      this.retryAt = 0;
    } catch (err) {
      // Back in front, in order; what no longer fits is counted as lost.
      const room = Math.max(0, (this.options.maxQueue ?? 10_000) - this.queue.length);
      this.dropped += Math.max(0, rows.length - room);
      this.queue = [...rows.slice(0, room), ...this.queue];
      if (this.failures === 0) this.options.onStuck?.(err);
      this.failures++;
      this.retryAt = this.clock() + Math.min(this.options.maxBackoffMs ?? 30_000, (this.options.intervalMs ?? 1000) * 2 ** Math.min(this.failures - 1, 10));
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.flush(true);
  }
}
