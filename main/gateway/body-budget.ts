/**
 * Memory that request bodies may take while they are read and forwarded, in all and per token (or
 * per address without one). A body is counted by its declared length before a byte of it is read,
 * so a flood of large bodies is refused at the door instead of filling memory.
 */
export class BodyBudget {
  private total = 0;
  private readonly byKey = new Map<string, number>();

  constructor(
    private readonly totalBytes: number,
    private readonly perKeyBytes: number,
  ) {}

  /** Reserves `bytes` for `key`; says which limit is reached when it cannot. */
  reserve(key: string, bytes: number): 'ok' | 'everyone' | 'this-client' {
    const mine = this.byKey.get(key) ?? 0;
    if (mine > 0 && mine + bytes > this.perKeyBytes) return 'this-client';
    if (this.total > 0 && this.total + bytes > this.totalBytes) return 'everyone';
    this.total += bytes;
    this.byKey.set(key, mine + bytes);
    return 'ok';
  }

  release(key: string, bytes: number): void {
    this.total -= bytes;
    const left = (this.byKey.get(key) ?? bytes) - bytes;
    if (left <= 0) this.byKey.delete(key);
    else this.byKey.set(key, left);
  }
}
