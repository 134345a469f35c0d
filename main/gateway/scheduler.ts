import { LOCAL_UPSTREAM } from '../../preload/rules';

/**
 * Fair sharing of Ollama's slots. Ollama serves a few requests at a time and queues the rest
 * first come, first served, so one client with forty requests in flight makes everyone wait
 * behind all forty. Here the requests beyond the slots wait instead, and each free slot goes to
 * the waiting client that has received the least service, weighted (start-time fair queueing over
 * request counts): a client with many requests queued gets its share and no more. Batch requests
 * get a slot only when no interactive one waits, unless one has waited past the starvation guard.
 *
 * With several Ollama hosts, each is a pool with its own slots; a request may wait for any of the
 * pools that have its model, and the service a client received counts across all of them.
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

/** The pool of the local Ollama, the only one until other hosts are added. */
export const LOCAL_POOL = LOCAL_UPSTREAM;
export const LOCAL_ONLY: readonly string[] = Object.freeze([LOCAL_POOL]);

export type Grant = { ok: true; waitedMs: number; pool: string; release: () => void } | { ok: false; reason: 'cancelled' };

interface Waiter {
  client: Client;
  since: number;
  /** The pools it may be served by, best first. */
  pools: readonly string[];
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
  private readonly busyByPool = new Map<string, number>();
  /** How many waiters may be served by each pool. */
  private readonly waitingFor = new Map<string, number>();
  private readonly accounts = new Map<string, Account>();
  private waitingCount = 0;
  /** How long a slot is held, on average (an exponentially weighted mean of recent requests). */
  private holdMs = 0;
  /** The virtual time of the last grant: a client that comes back idle starts here, not with saved-up credit. */
  private now = 0;

  /**
   * `poolSlots`: the slots of each host besides the local one (whose slots are the policy's).
   */
  constructor(
    private readonly policy: () => SchedulerPolicy,
    private readonly clock: () => number = () => performance.now(),
    private readonly poolSlots: () => ReadonlyMap<string, number> = () => new Map(),
  ) {}

  /** A pool's slots; 0 means no limit. */
  slotsOf(pool: string): number {
    return pool === LOCAL_POOL ? this.policy().slots : (this.poolSlots().get(pool) ?? 0);
  }

  /** Requests holding a slot in a pool now. */
  busyIn(pool: string): number {
    return this.busyByPool.get(pool) ?? 0;
  }

  /** Slots free in a pool now (Infinity without a limit), for choosing between hosts. */
  freeIn(pool: string): number {
    const slots = this.slotsOf(pool);
    return slots === 0 ? Infinity : slots - this.busyIn(pool);
  }

  /** Whether a request for these pools would wait (all their slots busy, or others already waiting). */
  mustWait(pools: readonly string[] = LOCAL_ONLY): boolean {
    return !pools.some((pool) => this.open(pool));
  }

  /** A slot now, without waiting, in the first of `pools` that has one, or null when the request must queue. */
  tryAcquire(client: Client, pools: readonly string[] = LOCAL_ONLY): Extract<Grant, { ok: true }> | null {
    const pool = pools.find((p) => this.open(p));
    return pool === undefined ? null : this.grant(this.account(client.id), client, this.clock(), pool);
  }

  /**
   * Waits for a slot in any of `pools`. Resolves at once when one is free and nobody waits for it;
   * `signal` (the client went away, the queue timeout) takes a waiting request out without a slot.
   */
  acquire(client: Client, signal?: AbortSignal, pools: readonly string[] = LOCAL_ONLY): Promise<Grant> {
    const now = this.tryAcquire(client, pools);
    if (now) return Promise.resolve(now);
    const account = this.account(client.id);
    if (signal?.aborted) return Promise.resolve({ ok: false, reason: 'cancelled' });
    return new Promise<Grant>((resolve) => {
      const waiter: Waiter = { client, since: this.clock(), pools, resolve };
      if (account.waiting.length === 0 && account.running === 0) account.served = Math.max(account.served, this.now);
      account.waiting.push(waiter);
      this.count(waiter, 1);
      signal?.addEventListener('abort', () => this.cancel(account, waiter), { once: true });
    });
  }

  /** How many of a client's requests wait. */
  waitingOf(id: string): number {
    return this.accounts.get(id)?.waiting.length ?? 0;
  }

  snapshot(): QueueSnapshot {
    const byClient = [...this.accounts.entries()].filter(([, a]) => a.waiting.length || a.running).map(([id, a]) => ({ id, waiting: a.waiting.length, running: a.running }));
    return { slots: this.totalSlots(), busy: this.busy, waiting: this.waitingCount, byClient };
  }

  /** The position (1 = next) of each of a client's waiting requests in the order they would be served now. */
  positionsOf(id: string): number[] {
    const order = this.order();
    return order.flatMap((waiter, i) => (waiter.client.id === id ? [i + 1] : []));
  }

  /** The wait expected for the request at `position` in the queue (1 = next): whole rounds of the slots. */
  expectedWaitMs(position: number): number {
    const slots = this.totalSlots();
    if (slots === 0 || (position === 1 && this.busy < slots)) return 0;
    return Math.round(Math.ceil(position / slots) * this.holdMs);
  }

  /** All slots of all pools; 0 when any pool has no limit. */
  private totalSlots(): number {
    const local = this.policy().slots;
    let total = local;
    for (const slots of this.poolSlots().values()) {
      if (slots === 0) return 0;
      total += slots;
    }
    return local === 0 ? 0 : total;
  }

  /** A pool a newcomer may take a slot in now: room, and nobody already waiting for it. */
  private open(pool: string): boolean {
    return this.freeIn(pool) > 0 && !this.waitingFor.get(pool);
  }

  private count(waiter: Waiter, by: 1 | -1): void {
    this.waitingCount += by;
    for (const pool of waiter.pools) this.waitingFor.set(pool, (this.waitingFor.get(pool) ?? 0) + by);
  }

  private account(id: string): Account {
    let account = this.accounts.get(id);
    if (!account) this.accounts.set(id, (account = { served: this.now, waiting: [], running: 0 }));
    return account;
  }

  private grant(account: Account, client: Client, since: number, pool: string): Extract<Grant, { ok: true }> {
    this.busy++;
    this.busyByPool.set(pool, (this.busyByPool.get(pool) ?? 0) + 1);
    account.running++;
    this.now = Math.max(this.now, account.served);
    account.served += 1 / Math.max(client.weight, 0.01);
    let released = false;
    const grantedAt = this.clock();
    return {
      ok: true,
      waitedMs: this.clock() - since,
      pool,
      release: () => {
        if (released) return;
        released = true;
        this.busy--;
        this.busyByPool.set(pool, this.busyByPool.get(pool)! - 1);
        account.running--;
        const held = this.clock() - grantedAt;
        this.holdMs = this.holdMs === 0 ? held : this.holdMs * 0.9 + held * 0.1;
        this.forgetIdle(client.id, account);
        this.dispatch(pool);
      },
    };
  }

  private cancel(account: Account, waiter: Waiter): void {
    const at = account.waiting.indexOf(waiter);
    if (at === -1) return;
    account.waiting.splice(at, 1);
    this.count(waiter, -1);
    this.forgetIdle(waiter.client.id, account);
    waiter.resolve({ ok: false, reason: 'cancelled' });
  }

  /** Hands a pool's free slots to the fairest of the waiters that pool may serve. */
  private dispatch(pool: string): void {
    while (this.waitingFor.get(pool) && this.freeIn(pool) > 0) {
      const next = this.next(pool);
      if (!next) return;
      const account = this.accounts.get(next.client.id)!;
      account.waiting.splice(account.waiting.indexOf(next), 1);
      this.count(next, -1);
      next.resolve(this.grant(account, next.client, next.since, pool));
    }
  }

  /** The waiter `pool` serves next: a starved batch request, else interactive before batch, least served first. */
  private next(pool: string): Waiter | undefined {
    const heads = [...this.accounts.values()].flatMap((a) => {
      const waiter = a.waiting.find((w) => w.pools.includes(pool));
      return waiter ? [{ waiter, served: a.served }] : [];
    });
    const now = this.clock();
    const starved = heads.filter((h) => h.waiter.client.priority === 'batch' && now - h.waiter.since >= this.policy().batchMaxWaitMs);
    if (starved.length) return starved.sort((a, b) => a.waiter.since - b.waiter.since)[0]!.waiter;
    const interactive = heads.filter((h) => h.waiter.client.priority === 'interactive');
    const candidates = interactive.length ? interactive : heads;
    return candidates.sort((a, b) => a.served - b.served || a.waiter.since - b.waiter.since)[0]?.waiter;
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
