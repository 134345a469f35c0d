import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import { BatchWriter } from './batch-writer';
import type { AuditEntry, LiveRequest, RequestRecord, Retention } from './records';
import { securityLine, type SecurityEvent } from './security-events';

interface Series {
  requests: { inc(value?: number): void };
  tokensIn: { inc(value?: number): void };
  tokensOut: { inc(value?: number): void };
  duration: { observe(value: number): void };
  ttfb: { observe(value: number): void };
}

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
  private readonly m;
  private pruneTimer: NodeJS.Timeout | undefined;
  private readonly series = new Map<string, Series>();
  private readonly liveRequests = new Map<number, LiveRequest>();
  private readonly liveListeners = new Set<() => void>();
  private nextLiveId = 1;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    options: { flushIntervalMs?: number; maxQueue?: number; upstreamUp?: () => Promise<boolean> } = {},
  ) {
    const onError = (err: unknown) => log.error('Could not write metering rows; they were dropped.', err);
    const writerOptions = { intervalMs: options.flushIntervalMs ?? 1000, maxQueue: options.maxQueue ?? 10_000, onError };
    this.requests = new BatchWriter((rows) => store.metering.insertRequests(rows), writerOptions);
    this.securityEvents = new BatchWriter((rows) => store.metering.insertSecurityEvents(rows), writerOptions);
    const registers = [this.registry];
    const dropped = () => this.dropped;
    const upstreamUp = options.upstreamUp;
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
      up: new Gauge({
        name: 'gatehouse_upstream_up',
        help: 'Whether Ollama answered at the upstream address when scraped (1) or not (0).',
        registers,
        async collect() {
          if (upstreamUp) this.set((await upstreamUp()) ? 1 : 0);
        },
      }),
    };
  }

  start(retention: () => Retention): void {
    this.requests.start();
    this.securityEvents.start();
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

  record(r: RequestRecord, liveId?: number): void {
    this.m.inFlight.dec();
    if (liveId !== undefined && this.liveRequests.delete(liveId)) this.notifyLive();
    const model = r.model ?? '';
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

  security(e: SecurityEvent): void {
    this.m.security.inc({ kind: e.kind });
    this.log.info(securityLine(e));
    this.securityEvents.push(e);
  }

  audit(entry: AuditEntry): void {
    try {
      this.store.metering.audit(entry);
    } catch (err) {
      this.log.error(`Could not write the audit entry ${entry.action}.`, err);
    }
  }

  private notifyLive(): void {
    for (const listener of this.liveListeners) listener();
  }

  get dropped(): number {
    return this.requests.dropped + this.securityEvents.dropped;
  }

  /** Writes everything queued now (tests, and before answering "what happened"). */
  flush(): void {
    this.requests.flush();
    this.securityEvents.flush();
  }

  close(): void {
    clearInterval(this.pruneTimer);
    this.requests.close();
    this.securityEvents.close();
  }
}
