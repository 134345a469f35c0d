import { Gauge, Histogram, type Registry } from 'prom-client';
import type { QueueSnapshot } from '../gateway/scheduler';
import { percentile } from './histogram';

const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const RECENT = 500;

/**
 * What the fair queue looks like, for Prometheus and the Overview: slots busy, requests waiting,
 * and how long they waited (a histogram, and the p50/p95 of the last few hundred waits).
 */
export class QueueMetrics {
  private readonly waitSeconds: Histogram;
  private readonly recent: number[] = [];

  constructor(registry: Registry, snapshot: () => QueueSnapshot) {
    const registers = [registry];
    new Gauge({ name: 'gatehouse_slots_busy', help: 'Ollama slots in use by Gatehouse now.', registers, collect() { this.set(snapshot().busy); } });
    new Gauge({ name: 'gatehouse_queue_depth', help: 'Requests waiting in Gatehouse for an Ollama slot.', registers, collect() { this.set(snapshot().waiting); } });
    this.waitSeconds = new Histogram({ name: 'gatehouse_queue_wait_seconds', help: 'How long inference waited for an Ollama slot.', buckets: WAIT_BUCKETS, registers });
  }

  waited(ms: number): void {
    this.waitSeconds.observe(ms / 1000);
    this.recent.push(ms);
    if (this.recent.length > RECENT) this.recent.shift();
  }

  /** p50 and p95 of the recent waits, in ms. */
  waits(): { p50: number | null; p95: number | null } {
    const sorted = [...this.recent].sort((a, b) => a - b);
    return { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) };
  }
}
