import { execFile, spawn, type ChildProcess } from 'node:child_process';
import type { Platform } from './install';
import { stopCommand, type LaunchCommand } from './launch';

/** The last `capacity` lines a child wrote, for the window's "Ollama log" view. */
export class LogRing {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly capacity = 500) {}

  write(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.push(line);
    // A runaway line without a newline must not grow without bound.
    if (this.partial.length > 8192) {
      this.push(this.partial);
      this.partial = '';
    }
  }

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
  }

  snapshot(): string[] {
    return this.partial ? [...this.lines, this.partial] : [...this.lines];
  }
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One run of `ollama serve`: its output goes to the ring; `exited` settles once it has gone. */
export class OllamaChild {
  readonly pid: number;
  readonly exited: Promise<ChildExit>;
  private readonly proc: ChildProcess;
  private gone = false;

  constructor(launch: LaunchCommand, private readonly platform: Platform, log: LogRing) {
    this.proc = spawn(launch.command, launch.args, {
      env: launch.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so stopping it also stops the model runners it starts.
      detached: platform !== 'win32',
      windowsHide: true,
    });
    this.proc.stdout?.setEncoding('utf8').on('data', (d: string) => log.write(d));
    this.proc.stderr?.setEncoding('utf8').on('data', (d: string) => log.write(d));
    this.exited = new Promise<ChildExit>((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.gone = true;
        resolve({ code, signal });
      });
      this.proc.once('error', (err) => {
        this.gone = true;
        log.push(`Could not start ${launch.command}: ${err.message}`);
        resolve({ code: -1, signal: null });
      });
    });
    this.pid = this.proc.pid ?? -1;
  }

  get running(): boolean {
    return !this.gone;
  }

  /** Asks it to stop, and kills it (and its process group) if it has not gone after `graceMs`. */
  async stop(graceMs = 5000): Promise<ChildExit> {
    if (this.gone) return this.exited;
    this.signal(false);
    const timer = setTimeout(() => this.signal(true), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
      // The leader may go first; make sure no runner of its group stays behind.
      if (this.platform !== 'win32') this.signal(true);
    }
  }

  private signal(force: boolean): void {
    if (this.pid <= 0) return;
    const how = stopCommand(this.platform, this.pid, force);
    if ('signal' in how) {
      try {
        process.kill(how.pid, how.signal);
      } catch {
        /* already gone */
      }
    } else {
      execFile(how.command, how.args, { windowsHide: true }, () => {});
    }
  }
}
