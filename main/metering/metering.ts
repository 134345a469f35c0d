import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import { BatchWriter } from './batch-writer';
import { storeRequests } from './hourly';
import { ModelLabels } from './model-labels';
import { SecurityAggregator } from './security-aggregator';
import type { AuditEntry, LiveRequest, RequestRecord, Retention } from './records';
import { securityLine, type SecurityEvent } from './security-events';

interface Series {
  requests: { inc(value?: number): void };
  tokensIn: { inc(value?: number): void };
  tokensOut: { inc(value?: number): void };
  duration: { observe(value: number): void };
  ttfb: { observe(value: number): void };
}

/** Labelled series at most (status × model × token), however many names clients invent. */
const MAX_SERIES = 2000;
const OVERFLOW_KEY = 'other\u0000other\u0000other';

const SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * Everything the gateway reports about its traffic: request rows and security events go through
 * bounded queues to the store (never blocking a request), counters and histograms go to a
 * Prometheus registry of this core's own (no global state).
 */
export class Metering {
  readonly registry = new Registry();
  private readonly requests: BatchWriter<RequestRecord>;
  private readonly securityEvents: BatchWriter<SecurityEvent>;
  private readonly audits: BatchWriter<AuditEntry>;
  private readonly aggregator: SecurityAggregator;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Which model names may be labels; without it (tests of metering alone) every name is. */
  private readonly labels: ModelLabels | undefined;
  private readonly m;
  private pruneTimer: NodeJS.Timeout | undefined;
  private readonly series = new Map<string, Series>();
  private readonly liveRequests = new Map<number, LiveRequest>();
  private readonly liveListeners = new Set<() => void>();
  private readonly spendListeners = new Set<(tokenId: string, tokens: number) => void>();
  private nextLiveId = 1;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    options: { flushIntervalMs?: number; maxQueue?: number; installedModels?: () => Promise<Array<{ name: string; remoteHost: string | null }>> } = {},
  ) {
    if (options.installedModels) this.labels = new ModelLabels(options.installedModels);
    const writerOptions = (what: string) => ({
      intervalMs: options.flushIntervalMs ?? 1000,
      maxQueue: options.maxQueue ?? 10_000,
      onStuck: (err: unknown) => log.warn(`Could not write ${what} (${(err as Error).message}); they wait in memory and are retried.`),
      onRecovered: (n: number) => log.info(`${what[0]!.toUpperCase()}${what.slice(1)} are being written again (${n} caught up).`),
    });
    this.requests = new BatchWriter((rows) => storeRequests(store.metering, rows), writerOptions('request records'));
    this.aggregator = new SecurityAggregator({
      row: (e) => {
        log.info(securityLine(e));
        this.securityEvents.push(e);
      },
    });
    this.securityEvents = new BatchWriter((rows) => store.metering.insertSecurityEvents(rows), writerOptions('security events'));
    this.audits = new BatchWriter((rows) => store.metering.insertAudits(rows), { ...writerOptions('audit entries'), maxQueue: 100_000 });
    const registers = [this.registry];
    const dropped = () => this.dropped;
    this.m = {
      requests: new Counter({ name: 'gatehouse_requests_total', help: 'Forwarded requests by status, model and token.', labelNames: ['status', 'model', 'token'], registers }),
      tokens: new Counter({ name: 'gatehouse_tokens_total', help: 'Model tokens by direction (in = prompt, out = completion).', labelNames: ['direction', 'model', 'token'], registers }),
      duration: new Histogram({ name: 'gatehouse_request_duration_seconds', help: 'Time from request to the last byte.', labelNames: ['model'], buckets: SECONDS_BUCKETS, registers }),
      ttfb: new Histogram({ name: 'gatehouse_time_to_first_byte_seconds', help: 'Time from request to the first response byte.', labelNames: ['model'], buckets: SECONDS_BUCKETS, registers }),
      inFlight: new Gauge({ name: 'gatehouse_requests_in_flight', help: 'Requests being forwarded now.', registers }),
      security: new Counter({ name: 'gatehouse_security_events_total', help: 'Refusals and lockouts by kind.', labelNames: ['kind'], registers }),
      dropped: new Gauge({
        name: 'gatehouse_metering_dropped_total',
        help: 'Metering rows dropped because the write queue was full or the disk failed.',
        registers,
        collect() {
          this.set(dropped());
        },
      }),
    };
  }

  start(retention: () => Retention): void {
    this.requests.start();
    this.securityEvents.start();
    this.audits.start();
    this.labels?.start();
    this.sweepTimer = setInterval(() => this.aggregator.sweep(Date.now()), 1000);
    this.sweepTimer.unref();
    const prune = () => {
      try {
        this.store.metering.prune(Date.now(), retention());
      } catch (err) {
        this.log.error('Could not prune old metering rows.', err);
      }
    };
    prune();
    this.pruneTimer = setInterval(prune, 86_400_000);
    this.pruneTimer.unref();
  }

  /** Whether the upstream lists the model as an alias of a cloud model, whatever its name. */
  isRemoteModel(canonical: string): boolean {
    return this.labels?.isRemote(canonical) ?? false;
  }

  /** Reads the upstream's model list now (at start, and after a pull), waiting at most `timeoutMs`. */
  async refreshModels(timeoutMs = 1000): Promise<void> {
    if (!this.labels) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.labels.refresh(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Counts a request in flight and lists it for the live view; returns its id for `record`. */
  requestStarted(request: Omit<LiveRequest, 'id'>): number {
    this.m.inFlight.inc();
    const id = this.nextLiveId++;
    this.liveRequests.set(id, { id, ...request });
    this.notifyLive();
    return id;
  }

  /** What is going through the gateway right now, oldest first. */
  live(): LiveRequest[] {
    return [...this.liveRequests.values()];
  }

  onLive(listener: () => void): () => void {
    this.liveListeners.add(listener);
    return () => this.liveListeners.delete(listener);
  }

  /** Told of the tokens (prompt + completion) each finished request of an API token used: the budgets. */
  onSpend(listener: (tokenId: string, tokens: number) => void): () => void {
    this.spendListeners.add(listener);
    return () => this.spendListeners.delete(listener);
  }

  record(r: RequestRecord, liveId?: number): void {
    this.m.inFlight.dec();
    const used = (r.promptTokens ?? 0) + (r.completionTokens ?? 0);
    if (r.tokenId && used > 0) for (const listener of this.spendListeners) listener(r.tokenId, used);
    if (liveId !== undefined && this.liveRequests.delete(liveId)) this.notifyLive();
    const model = this.labels ? this.labels.label(r.model, r.status) : (r.model ?? '');
    r.modelLabel = model;
    const token = r.tokenName ?? '';
    const series = this.seriesFor(String(r.status), model, token);
    series.requests.inc();
    if (r.promptTokens) series.tokensIn.inc(r.promptTokens);
    if (r.completionTokens) series.tokensOut.inc(r.completionTokens);
    series.duration.observe(r.durationMs / 1000);
    if (r.ttfbMs !== null) series.ttfb.observe(r.ttfbMs / 1000);
    this.requests.push(r);
  }

  /**
   * The labelled children of one status × model × token, looked up once and kept: prom-client
   * otherwise hashes the label object on every update. Bounded by tokens × models × statuses.
   */
  private seriesFor(status: string, model: string, token: string): Series {
    const key = `${status}\u0000${model}\u0000${token}`;
    let series = this.series.get(key);
    if (!series && this.series.size >= MAX_SERIES && key !== OVERFLOW_KEY) return this.seriesFor('other', 'other', 'other');
    if (!series) {
      series = {
        requests: this.m.requests.labels(status, model, token),
        tokensIn: this.m.tokens.labels('in', model, token),
        tokensOut: this.m.tokens.labels('out', model, token),
        duration: this.m.duration.labels(model),
        ttfb: this.m.ttfb.labels(model),
      };
      this.series.set(key, series);
    }
    return series;
  }

  /** Counts the event, logs the first of a kind from an address per minute, and stores it aggregated. */
  security(e: SecurityEvent): void {
    this.m.security.inc({ kind: e.kind });
    this.aggregator.add(e);
  }

  /** Queues an audit entry: written within the flush interval, kept and retried if the store is stuck. */
  audit(entry: AuditEntry): void {
    this.audits.push(entry);
  }

  private notifyLive(): void {
    for (const listener of this.liveListeners) listener();
  }

  get dropped(): number {
    return this.requests.dropped + this.securityEvents.dropped + this.audits.dropped;
  }

  /** Writes everything queued now (tests, and before answering "what happened"). */
  flush(): void {
    this.aggregator.sweep(Date.now(), true);
    this.requests.flush(true);
    this.securityEvents.flush(true);
    this.audits.flush(true);
  }

  close(): void {
    clearInterval(this.pruneTimer);
    clearInterval(this.sweepTimer);
    this.labels?.stop();
    this.aggregator.sweep(Date.now(), true);
    this.requests.close();
    this.securityEvents.close();
    this.audits.close();
  }
}
