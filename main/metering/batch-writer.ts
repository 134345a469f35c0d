/**
 * A bounded in-memory queue in front of a synchronous writer (one SQLite transaction per flush).
 * `push` never blocks and never throws: when the queue is full the row is dropped and counted, so
 * a slow disk can cost rows, never requests. Flushes happen on a timer, early when a batch is
 * full, and on close.
 */
export class BatchWriter<T> {
  private queue: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  dropped = 0;
  written = 0;

  constructor(
    private readonly write: (rows: T[]) => void,
    private readonly options: { maxQueue?: number; batchSize?: number; intervalMs?: number; onError?: (err: unknown) => void } = {},
  ) {}

  get pending(): number {
    return this.queue.length;
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
    if (this.queue.length >= (this.options.batchSize ?? 500) && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const rows = this.queue;
    this.queue = [];
    try {
      this.write(rows);
      this.written += rows.length;
    } catch (err) {
      this.dropped += rows.length;
      this.options.onError?.(err);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }
}
