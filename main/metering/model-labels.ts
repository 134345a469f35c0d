import { canonicalModelName } from '../auth/model-names';

/** Series and hourly rows at most: past this, everything new is counted under `other`. */
export const MAX_LABELS = 500;

/**
 * Which model names may become a metric label or an hourly row: only models the upstream really
 * has (from its model list, refreshed now and then). The same list says which are cloud aliases. A client that invents names (10,000 calls
 * to /api/show with unique names) otherwise creates a Prometheus series and a stored row per
 * name; its requests are counted under `other` instead.
 */
export class ModelLabels {
  private known = new Set<string>();
  private remote = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private lastRefresh = 0;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly installed: () => Promise<Array<{ name: string; remoteHost: string | null }>>,
    private readonly refreshMs = 30_000,
    private readonly clock: () => number = Date.now,
  ) {}

  start(): void {
    void this.refresh();
    this.timer ??= setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the upstream's list again (after a pull, or when an unknown name might be new). */
  refresh(): Promise<void> {
    this.lastRefresh = this.clock();
    this.refreshing ??= this.installed()
      .then((models) => {
        const next = new Set<string>();
        const remote = new Set<string>();
        for (const model of models.slice(0, MAX_LABELS)) {
          const parsed = canonicalModelName(model.name);
          if (!parsed.ok) continue;
          next.add(parsed.canonical);
          if (model.remoteHost) remote.add(parsed.canonical);
        }
        this.known = next;
        this.remote = remote;
      })
      .catch(() => {
        /* Ollama is down: keep the last list */
      })
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** Whether Ollama lists this model as an alias of one that runs elsewhere (`remote_host`). */
  isRemote(canonical: string): boolean {
    return this.remote.has(canonical);
  }

  /** The label for a request's model: '' without one or for a refused request, `other` when not installed. */
  label(model: string | null, status: number): string {
    if (model === null || status >= 400) return '';
    if (this.known.has(model)) return model;
    // A model pulled a moment ago: look again, at most every few seconds whatever clients send.
    if (this.clock() - this.lastRefresh > 5000) void this.refresh();
    return 'other';
  }
}
