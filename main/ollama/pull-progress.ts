import type { PullStatus } from './client';
import type { PullProgress } from '../../preload/types';
export type { PullProgress } from '../../preload/types';

/**
 * Turns Ollama's per-layer pull lines into one progress figure. Layers are told apart by digest;
 * `completed` may be missing at first. Speed is smoothed so the ETA does not jump about.
 */
export class PullTracker {
  private readonly layers = new Map<string, { total: number; completed: number }>();
  private lastBytes = 0;
  private lastAt: number | undefined;
  private speed = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  update(line: PullStatus): PullProgress {
    if (line.digest && line.total) {
      this.layers.set(line.digest, { total: line.total, completed: line.completed ?? this.layers.get(line.digest)?.completed ?? 0 });
    }
    let total = 0;
    let completed = 0;
    for (const layer of this.layers.values()) {
      total += layer.total;
      completed += Math.min(layer.completed, layer.total);
    }
    const now = this.clock();
    if (this.lastAt !== undefined && now > this.lastAt && completed >= this.lastBytes) {
      const instant = ((completed - this.lastBytes) * 1000) / (now - this.lastAt);
      this.speed = this.speed === 0 ? instant : 0.7 * this.speed + 0.3 * instant;
    }
    this.lastAt = now;
    this.lastBytes = completed;
    const done = line.status === 'success';
    return {
      status: line.status,
      completed,
      total,
      percent: done ? 100 : total > 0 ? Math.floor((completed / total) * 1000) / 10 : 0,
      bytesPerSecond: Math.round(this.speed),
      etaSeconds: done ? 0 : this.speed > 0 ? Math.ceil((total - completed) / this.speed) : null,
      done,
    };
  }
}
