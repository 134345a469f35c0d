import type { AuditEntry } from '../metering/records';

interface Tally {
  name: string;
  requests: number;
  bytesIn: number;
  bytesOut: number;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * How much each token used the web app: requests and bytes, summed in memory and written as one
 * audit row per token and interval ("webapp.used"), so Activity shows who used it without a row
 * for every page asset.
 */
export class WebUsage {
  private tallies = new Map<string, Tally>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly write: (entry: AuditEntry) => void,
    intervalMs = 3_600_000,
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  count(token: { id: string; name: string }, bytesIn: number, bytesOut: number): void {
    const tally = this.tallies.get(token.id) ?? { name: token.name, requests: 0, bytesIn: 0, bytesOut: 0 };
    tally.requests++;
    tally.bytesIn += bytesIn;
    tally.bytesOut += bytesOut;
    this.tallies.set(token.id, tally);
  }

  flush(): void {
    const tallies = this.tallies;
    this.tallies = new Map();
    const at = Date.now();
    for (const t of tallies.values()) {
      this.write({ at, actor: 'api', action: 'webapp.used', target: t.name, detail: `${t.requests} requests, ${mb(t.bytesIn)} in, ${mb(t.bytesOut)} out` });
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
