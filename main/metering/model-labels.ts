import { canonicalModelName } from '../auth/model-names';

/** Series and hourly rows at most: past this, everything new is counted under `other`. */
export const MAX_LABELS = 500;

/**
 * Which model names may become a metric label or an hourly row: only models the upstream really
 * has (from its model list, refreshed now and then). A client that invents names (10,000 calls
 * to /api/show with unique names) otherwise creates a Prometheus series and a stored row per
 * name; its requests are counted under `other` instead.
 */
export class ModelLabels {
  private known = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private lastRefresh = 0;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly installed: () => Promise<string[]>,
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
      .then((names) => {
        const next = new Set<string>();
        for (const name of names.slice(0, MAX_LABELS)) {
          const parsed = canonicalModelName(name);
          if (parsed.ok) next.add(parsed.canonical);
        }
        this.known = next;
      })
      .catch(() => {
        /* Ollama is down: keep the last list */
      })
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
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
