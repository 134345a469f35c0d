import { execFile } from 'node:child_process';
import { GatehouseError } from '../errors';
import { silentLogger, type Logger } from '../log';
import { LogRing, OllamaChild } from './child';
import { checkExposure } from './exposure';
import { appLaunchCommand, isLoopbackUpstream, loopbackBind, restartDelay, serveCommand } from './launch';
import { classifyOwner, desktopAppProcess } from './processes';
import { describe, ownerName, type OllamaStatus, type StatusPatch } from './status';
import { resolveOptions, type ResolvedOptions, type SupervisorOptions } from './supervisor-options';

export type { SupervisorOptions } from './supervisor-options';
import type { OllamaInstall } from './install';
import { probeUpstream } from './upstream-probe';

type Listener = (status: OllamaStatus) => void;

/**
 * Finds, adopts or starts Ollama, keeps our own child running with backoff, and watches for an
 * Ollama exposed to the network. One reconcile step at a time; state changes are pushed to
 * subscribers (tray, window, log).
 */
export class OllamaSupervisor {
  private readonly o: ResolvedOptions;
  private readonly log: Logger;
  private readonly listeners = new Set<Listener>();
  private readonly ring = new LogRing(500);
  private current: OllamaStatus;
  private child: OllamaChild | null = null;
  private childStartedAt = 0;
  private healthySince: number | null = null;
  private startingSince: number | null = null;
  private wanted: 'running' | 'stopped' = 'running';
  private timers = new Set<NodeJS.Timeout>();
  private retryTimer: NodeJS.Timeout | null = null;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(options: SupervisorOptions) {
    this.o = resolveOptions(options);
    this.log = options.log ?? silentLogger;
    const install = { binary: null, app: null, systemService: false };
    this.current = { state: 'stopped', owner: null, adopted: false, version: null, upstream: this.o.upstream(), install, pid: null, failures: 0, retryAt: null, exposure: null, message: '', fix: null, since: this.o.clock() };
  }

  status(): OllamaStatus {
    return this.current;
  }

  /** The last lines our `ollama serve` wrote (empty when Ollama is someone else's). */
  logs(): string[] {
    return this.ring.snapshot();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Begins watching (and, when managing, starting). Resolves after the first check. */
  async start(): Promise<OllamaStatus> {
    this.every(this.o.healthIntervalMs, () => this.reconcile());
    this.every(this.o.exposureIntervalMs, () => this.checkExposure());
    await this.reconcile();
    await this.checkExposure();
    return this.current;
  }

  /** Tray/window "Start": also the way out of `gave-up`. */
  async startOllama(): Promise<OllamaStatus> {
    this.requireManaging('start');
    this.wanted = 'running';
    this.cancelRetry();
    if (this.current.state === 'gave-up' || this.current.state === 'backing-off') this.set({ state: 'stopped', failures: 0, retryAt: null });
    await this.reconcile();
    return this.current;
  }

  /** Stops the Ollama we started. One started by someone else is theirs to stop; we say so. */
  async stopOllama(): Promise<OllamaStatus> {
    this.requireManaging('stop');
    if (!this.child && this.current.adopted) {
      throw new GatehouseError('OLLAMA_NOT_OURS', `Ollama was started by ${ownerName(this.current.owner)}, so Gatehouse leaves it running.`, 'Stop it where it was started.');
    }
    this.wanted = 'stopped';
    this.cancelRetry();
    await this.serial(async () => {
      await this.child?.stop(this.o.stopGraceMs);
      this.child = null;
      this.set({ state: 'stopped', owner: null, adopted: false, pid: null, version: null, failures: 0, retryAt: null });
    });
    return this.current;
  }

  async restartOllama(): Promise<OllamaStatus> {
    await this.stopOllama();
    return this.startOllama();
  }

  /** Stops watching and stops our child (gracefully, then by force). */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.cancelRetry();
    await this.queue.catch(() => {});
    await this.child?.stop(this.o.stopGraceMs);
    this.child = null;
    this.listeners.clear();
  }

  /** One look at the world and one step towards what is wanted. Never overlaps another. */
  reconcile(): Promise<void> {
    return this.serial(() => this.step());
  }

  /** `retry` is the backoff timer's turn, the one time a backing-off supervisor acts. */
  private async step(retry = false): Promise<void> {
    if (this.closed) return;
    const now = this.o.clock();
    const upstream = this.o.upstream();
    const probe = await probeUpstream(upstream);
    const install = this.o.detect();

    if (this.child?.running) {
      if (probe.kind === 'ollama') {
        this.healthySince ??= now;
        // Stayed up long enough: earlier crashes no longer count towards giving up.
        const failures = now - this.healthySince >= this.o.backoff.healthyResetMs ? 0 : this.current.failures;
        this.set({ state: 'running', owner: 'gatehouse', adopted: false, version: probe.version, pid: this.child.pid, install, upstream, failures, retryAt: null });
      } else if (now - this.childStartedAt > this.o.startTimeoutMs) {
        this.ring.push(`Gatehouse: ollama serve did not answer at ${upstream} within ${Math.round(this.o.startTimeoutMs / 1000)} s; restarting it.`);
        await this.child.stop(this.o.stopGraceMs); // its exit handler schedules the restart
      }
      return;
    }
    if ((this.current.state === 'backing-off' && !retry) || this.current.state === 'gave-up') return;

    if (probe.kind === 'ollama') {
      this.startingSince = null;
      const wasRunning = this.current.state === 'running' && this.current.adopted;
      const owner = wasRunning ? this.current.owner : classifyOwner({ platform: this.o.platform, processes: await this.o.processes(), serviceActive: await this.o.serviceActive() });
      this.set({ state: 'running', owner, adopted: true, version: probe.version, pid: null, install, upstream, retryAt: null });
      if (!wasRunning) void this.checkExposure();
      return;
    }
    if (probe.kind === 'other') {
      this.set({ state: 'unreachable', owner: null, adopted: false, version: null, pid: null, install, upstream }, 'port-taken');
      return;
    }
    // Nothing answers. An Ollama we only watched has gone away; whether we may start one is below.
    // An upstream on another computer is only watched: it is not ours to start.
    if (!isLoopbackUpstream(upstream)) {
      this.set({ state: 'unreachable', owner: null, adopted: false, version: null, pid: null, install, upstream }, 'remote');
      return;
    }
    if (!this.o.manage || this.wanted === 'stopped') {
      this.set({ state: install.binary || install.app ? 'stopped' : 'not-installed', owner: null, adopted: false, version: null, pid: null, install, upstream });
      return;
    }
    if (!install.binary && !install.app) {
      this.set({ state: 'not-installed', owner: null, adopted: false, version: null, pid: null, install, upstream });
      return;
    }
    await this.startSomething(install, upstream, now);
  }

  private async startSomething(install: OllamaInstall, upstream: string, now: number): Promise<void> {
    // The desktop app kills every other `ollama serve` when its own cannot bind: never compete with it.
    const processes = await this.o.processes();
    const appRunning = desktopAppProcess(this.o.platform, processes) !== undefined;
    const app = appLaunchCommand(this.o.platform, install.app);
    if (appRunning || app) {
      if (this.startingSince === null) {
        this.startingSince = now;
        if (!appRunning && app) {
          this.log.info('Opening the Ollama app.');
          execFile(app.command, app.args, { windowsHide: true }, (err) => err && this.log.warn(`Could not open the Ollama app: ${err.message}`));
        }
      }
      const waited = now - this.startingSince;
      this.set({ state: waited > this.o.startTimeoutMs ? 'unreachable' : 'starting', owner: 'desktop-app', adopted: true, version: null, pid: null, install, upstream });
      return;
    }
    if (install.systemService || !install.binary) {
      this.set({ state: 'stopped', owner: null, adopted: false, version: null, pid: null, install, upstream });
      return;
    }
    this.spawnChild(install.binary, install, upstream);
  }

  private spawnChild(binary: string, install: OllamaInstall, upstream: string): void {
    const launch = serveCommand(binary, upstream, this.o.env);
    this.ring.push(`Gatehouse: starting ${binary} serve on ${loopbackBind(upstream)}`);
    const child = new OllamaChild(launch, this.o.platform, this.ring);
    this.child = child;
    this.childStartedAt = this.o.clock();
    this.healthySince = null;
    this.set({ state: 'starting', owner: 'gatehouse', adopted: false, version: null, pid: child.pid, install, upstream, retryAt: null });
    void child.exited.then((exit) => this.onChildExit(child, exit.code, exit.signal));
  }

  private onChildExit(child: OllamaChild, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return; // stopped on purpose
    this.child = null;
    this.ring.push(`Gatehouse: ollama serve exited (${signal ?? `code ${code}`}).`);
    if (this.closed || this.wanted === 'stopped') return;
    const failures = this.current.failures + 1;
    const delay = restartDelay(this.o.backoff, failures);
    if (delay === null) {
      this.log.warn(`Ollama exited ${failures} times in a row; not restarting it again.`);
      this.set({ state: 'gave-up', owner: null, pid: null, version: null, failures, retryAt: null });
      return;
    }
    const retryAt = this.o.clock() + delay;
    this.log.warn(`Ollama exited (${signal ?? `code ${code}`}); restarting it in ${(delay / 1000).toFixed(1)} s.`);
    this.set({ state: 'backing-off', owner: null, pid: null, version: null, failures, retryAt });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.serial(async () => {
        if (this.closed || this.wanted === 'stopped' || this.current.state !== 'backing-off') return;
        await this.step(true);
      });
    }, delay);
  }

  private async checkExposure(): Promise<void> {
    if (this.closed) return;
    let port: number;
    try {
      port = Number(loopbackBind(this.o.upstream()).split(':').pop());
    } catch {
      return; // a remote upstream is not ours to judge
    }
    const exposure = await checkExposure({ platform: this.o.platform, port, addresses: this.o.lanAddresses(), owner: this.current.owner });
    if (JSON.stringify(exposure) !== JSON.stringify(this.current.exposure)) {
      if (exposure) this.log.warn(`${exposure.message} ${exposure.fix}`);
      this.set({ exposure });
    }
  }

  private set(patch: StatusPatch, detail?: string): void {
    const prev = this.current;
    const next = { ...prev, ...patch };
    const text = describe(next, this.o.platform, detail);
    const changed = (Object.keys(patch) as Array<keyof StatusPatch>).some((k) => JSON.stringify(prev[k]) !== JSON.stringify(next[k])) || text.message !== prev.message;
    if (!changed) return;
    this.current = { ...next, ...text, since: next.state !== prev.state ? this.o.clock() : prev.since };
    for (const listener of this.listeners) listener(this.current);
  }

  private serial(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch((err: unknown) => this.log.error('The Ollama supervisor hit an unexpected error.', err));
    return run;
  }

  private every(ms: number, task: () => Promise<void>): void {
    const timer = setInterval(() => void task().catch(() => {}), ms);
    timer.unref();
    this.timers.add(timer);
  }

  private cancelRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private requireManaging(what: string): void {
    if (!this.o.manage) throw new GatehouseError('NOT_SUPERVISING', `Gatehouse was started with --no-supervise, so it does not ${what} Ollama.`, 'Restart it without --no-supervise to let it manage Ollama.');
  }
}
