/**
 * Fair sharing of Ollama's slots. Ollama serves a few requests at a time and queues the rest
 * first come, first served, so one client with forty requests in flight makes everyone wait
 * behind all forty. Here the requests beyond the slots wait instead, and each free slot goes to
 * the waiting client that has received the least service, weighted (start-time fair queueing over
 * request counts): a client with many requests queued gets its share and no more. Batch requests
 * get a slot only when no interactive one waits, unless one has waited past the starvation guard.
 */
export type Priority = 'interactive' | 'batch';

export interface SchedulerPolicy {
  /** Requests Ollama runs at once; 0 turns the scheduler off. */
  slots: number;
  /** The longest a batch request waits behind interactive ones. */
  batchMaxWaitMs: number;
}

export interface Client {
  /** Who is served: a token's id, or "this computer" for tokenless local requests. */
  id: string;
  weight: number;
  priority: Priority;
}

export type Grant = { ok: true; waitedMs: number; release: () => void } | { ok: false; reason: 'cancelled' };

interface Waiter {
  client: Client;
  since: number;
  resolve: (grant: Grant) => void;
}

interface Account {
  /** Service received, in requests divided by weight (virtual time). */
  served: number;
  waiting: Waiter[];
  running: number;
}

export interface QueueSnapshot {
  slots: number;
  busy: number;
  waiting: number;
  byClient: Array<{ id: string; waiting: number; running: number }>;
}

export class Scheduler {
  private busy = 0;
  private readonly accounts = new Map<string, Account>();
  private waitingCount = 0;
  /** How long a slot is held, on average (an exponentially weighted mean of recent requests). */
  private holdMs = 0;
  /** The virtual time of the last grant: a client that comes back idle starts here, not with saved-up credit. */
  private now = 0;

  constructor(
    private readonly policy: () => SchedulerPolicy,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Whether a request arriving now would wait (all slots busy, or others already waiting). */
  mustWait(): boolean {
    const { slots } = this.policy();
    return slots !== 0 && (this.busy >= slots || this.waitingCount > 0);
  }

  /** A slot now, without waiting, or null when the request must queue. */
  tryAcquire(client: Client): Extract<Grant, { ok: true }> | null {
    return this.mustWait() ? null : this.grant(this.account(client.id), client, this.clock());
  }

  /**
   * Waits for a slot. Resolves at once when one is free and nobody waits; `signal` (the client
   * went away, the queue timeout) takes a waiting request out of the queue without a slot.
   */
  acquire(client: Client, signal?: AbortSignal): Promise<Grant> {
    const now = this.tryAcquire(client);
    if (now) return Promise.resolve(now);
    const account = this.account(client.id);
    if (signal?.aborted) return Promise.resolve({ ok: false, reason: 'cancelled' });
    return new Promise<Grant>((resolve) => {
      const waiter: Waiter = { client, since: this.clock(), resolve };
      if (account.waiting.length === 0 && account.running === 0) account.served = Math.max(account.served, this.now);
      account.waiting.push(waiter);
      this.waitingCount++;
      signal?.addEventListener('abort', () => this.cancel(account, waiter), { once: true });
    });
  }

  /** How many of a client's requests wait. */
  waitingOf(id: string): number {
    return this.accounts.get(id)?.waiting.length ?? 0;
  }

  snapshot(): QueueSnapshot {
    const byClient = [...this.accounts.entries()].filter(([, a]) => a.waiting.length || a.running).map(([id, a]) => ({ id, waiting: a.waiting.length, running: a.running }));
    return { slots: this.policy().slots, busy: this.busy, waiting: this.waitingCount, byClient };
  }

  /** The position (1 = next) of each of a client's waiting requests in the order they would be served now. */
  positionsOf(id: string): number[] {
    const order = this.order();
    return order.flatMap((waiter, i) => (waiter.client.id === id ? [i + 1] : []));
  }

  /** The wait expected for the request at `position` in the queue (1 = next): whole rounds of the slots. */
  expectedWaitMs(position: number): number {
    const { slots } = this.policy();
    if (slots === 0 || (position === 1 && this.busy < slots)) return 0;
    return Math.round(Math.ceil(position / slots) * this.holdMs);
  }

  private account(id: string): Account {
    let account = this.accounts.get(id);
    if (!account) this.accounts.set(id, (account = { served: this.now, waiting: [], running: 0 }));
    return account;
  }

  private grant(account: Account, client: Client, since: number): Extract<Grant, { ok: true }> {
    this.busy++;
    account.running++;
    this.now = Math.max(this.now, account.served);
    account.served += 1 / Math.max(client.weight, 0.01);
    let released = false;
    const grantedAt = this.clock();
    return {
      ok: true,
      waitedMs: this.clock() - since,
      release: () => {
        if (released) return;
        released = true;
        this.busy--;
        account.running--;
        const held = this.clock() - grantedAt;
        this.holdMs = this.holdMs === 0 ? held : this.holdMs * 0.9 + held * 0.1;
        this.forgetIdle(client.id, account);
        this.dispatch();
      },
    };
  }

  private cancel(account: Account, waiter: Waiter): void {
    const at = account.waiting.indexOf(waiter);
    if (at === -1) return;
    account.waiting.splice(at, 1);
    this.waitingCount--;
    this.forgetIdle(waiter.client.id, account);
    waiter.resolve({ ok: false, reason: 'cancelled' });
  }

  /** Hands free slots to the fairest waiters. */
  private dispatch(): void {
    const { slots } = this.policy();
    while (this.waitingCount > 0 && (slots === 0 || this.busy < slots)) {
      const next = this.next();
      if (!next) return;
      const account = this.accounts.get(next.client.id)!;
      account.waiting.shift();
      this.waitingCount--;
      next.resolve(this.grant(account, next.client, next.since));
    }
  }

  /** The waiter to serve next: a starved batch request, else interactive before batch, least served first. */
  private next(): Waiter | undefined {
    const heads = [...this.accounts.values()].flatMap((a) => (a.waiting[0] ? [{ waiter: a.waiting[0], served: a.served }] : []));
    const now = this.clock();
    const starved = heads.filter((h) => h.waiter.client.priority === 'batch' && now - h.waiter.since >= this.policy().batchMaxWaitMs);
    if (starved.length) return starved.sort((a, b) => a.waiter.since - b.waiter.since)[0]!.waiter;
    const interactive = heads.filter((h) => h.waiter.client.priority === 'interactive');
    const pool = interactive.length ? interactive : heads;
    return pool.sort((a, b) => a.served - b.served || a.waiter.since - b.waiter.since)[0]?.waiter;
  }

  /** The order the waiting requests would be served in if no more arrived (for positions). */
  private order(): Waiter[] {
    const copy = new Map([...this.accounts].map(([id, a]) => [id, { served: a.served, waiting: [...a.waiting] }]));
    const out: Waiter[] = [];
    for (;;) {
      const heads = [...copy.values()].filter((a) => a.waiting.length);
      if (!heads.length) return out;
      const interactive = heads.filter((a) => a.waiting[0]!.client.priority === 'interactive');
      const pick = (interactive.length ? interactive : heads).sort((a, b) => a.served - b.served)[0]!;
      const waiter = pick.waiting.shift()!;
      pick.served += 1 / Math.max(waiter.client.weight, 0.01);
      out.push(waiter);
    }
  }

  private forgetIdle(id: string, account: Account): void {
    if (account.waiting.length === 0 && account.running === 0) this.accounts.delete(id);
  }
}
