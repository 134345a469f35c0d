import { canonicalModelName } from '../auth/model-names';
import { describeError, UsageError } from '../errors';
import type { OllamaClient } from './client';
import { PullTracker, type PullProgress } from './pull-progress';
import type { PullJob } from '../../preload/types';
import { LOCAL_UPSTREAM as LOCAL_HOST } from '../../preload/rules';
export type { PullState, PullJob } from '../../preload/types';

type Listener = (job: PullJob) => void;

const keyOf = (on: string, canonical: string) => `${on}\u0000${canonical}`;

const IDLE: PullProgress = { status: 'starting', completed: 0, total: 0, percent: 0, bytesPerSecond: 0, etaSeconds: null, done: false };

/**
 * Pulls shared by host and model: asking for a model that is already downloading there joins that download
 * instead of starting a second one. Every progress step is pushed to subscribers in order.
 * Finished jobs stay listed (for the window's "done"/"failed" line) until the next pull of the model.
 */
export class PullJobs {
  private readonly jobs = new Map<string, { job: PullJob; abort: AbortController; done: Promise<PullJob> }>();
  private readonly listeners = new Set<Listener>();

  /** `client`: the local Ollama's; `clientOf`: another host's, by name (absent when there is no such host). */
  constructor(
    private readonly client: OllamaClient,
    private readonly clock: () => number = Date.now,
    private readonly clientOf: (host: string) => OllamaClient | undefined = () => undefined,
  ) {}

  /** Starts (or joins) the pull of `model` on a host (the local one by default); resolves with the finished job, whatever its outcome. */
  pull(model: string, requestedBy: string | null = null, on = LOCAL_HOST): Promise<PullJob> {
    const name = canonicalModelName(model);
    if (!name.ok) throw new UsageError(name.message);
    const client = on === LOCAL_HOST ? this.client : this.clientOf(on);
    if (!client) throw new UsageError(`There is no Ollama host called "${on}". See them with gatehouse upstreams list.`);
    const key = keyOf(on, name.canonical);
    const running = this.jobs.get(key);
    if (running?.job.state === 'pulling') return running.done;

    const abort = new AbortController();
    const job: PullJob = { model, on, state: 'pulling', progress: IDLE, error: null, startedAt: this.clock(), endedAt: null, requestedBy };
    const tracker = new PullTracker(this.clock);
    const update = (patch: Partial<PullJob>) => {
      Object.assign(job, patch);
      const snapshot = { ...job };
      for (const listener of this.listeners) listener(snapshot);
    };
    const done = client
      .pull(model, (line) => update({ progress: tracker.update(line) }), abort.signal)
      .then(
        () => update({ state: 'done', endedAt: this.clock() }),
        (err: unknown) =>
          abort.signal.aborted
            ? update({ state: 'cancelled', endedAt: this.clock() })
            : update({ state: 'failed', error: describeError(err), endedAt: this.clock() }),
      )
      .then(() => ({ ...job }));
    this.jobs.set(key, { job, abort, done });
    update({});
    return done;
  }

  /** Stops the download for everyone watching it. False when nothing was downloading. */
  cancel(model: string, on = LOCAL_HOST): boolean {
    const name = canonicalModelName(model);
    const entry = name.ok ? this.jobs.get(keyOf(on, name.canonical)) : undefined;
    if (entry?.job.state !== 'pulling') return false;
    entry.abort.abort();
    return true;
  }

  list(): PullJob[] {
    return [...this.jobs.values()].map((e) => ({ ...e.job }));
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Cancels every download (on shutdown); Ollama keeps the partial files and resumes later. */
  async close(): Promise<void> {
    const pending = [...this.jobs.values()].filter((e) => e.job.state === 'pulling');
    for (const e of pending) e.abort.abort();
    await Promise.all(pending.map((e) => e.done));
    this.listeners.clear();
  }
}
