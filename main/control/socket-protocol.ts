import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiErrorBody, EventName } from '../../preload/contract';

/**
 * The local control socket: the CLI's transport to a running Gatehouse, one JSON message per line
 * each way. The client sends calls and subscriptions, each with an id; the server answers each
 * once, and pushes the events of the subscriptions as they happen.
 */
export type ClientMessage =
  | { id: number; call: string; args?: unknown }
  | { id: number; subscribe: EventName[] }
  | { id: number; hello: true };

export type ServerMessage =
  | ({ id: number | null; ok: true; result: unknown })
  | ({ id: number | null; ok: false } & ApiErrorBody)
  | { event: EventName; payload: unknown };

/** Who answered: enough for the CLI to say which Gatehouse it talked to, and where that one serves. */
export interface ServerInfo {
  pid: number;
  version: string;
  dataDir: string;
  /** What it serves (empty until it listens), its upstream, and whether it is remote-paused. */
  urls: string[];
  port: number | null;
  upstream: string;
  /** `gatehouse serve`, or the tray app. */
  kind: 'serve' | 'tray';
}

/** A line longer than this is not one the CLI sends: the connection is closed, nothing is run. */
export const MAX_LINE_BYTES = 256 * 1024;

/** Unix socket paths are limited to about 104 bytes; beyond that the socket moves to the temp folder. */
const MAX_SOCKET_PATH = 100;

/**
 * Where a Gatehouse on `dataDir` listens: `control.sock` in the data folder (0700, the socket 0600),
 * a named pipe on Windows. One per data folder, so the CLI finds the Gatehouse that uses its store.
 */
export function controlSocketPath(dataDir: string, platform: NodeJS.Platform = process.platform): string {
  const id = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
  if (platform === 'win32') return `\\\\.\\pipe\\gatehouse-${id}`;
  const inFolder = join(dataDir, 'control.sock');
  return Buffer.byteLength(inFolder) <= MAX_SOCKET_PATH ? inFolder : join(tmpdir(), `gatehouse-${id}.sock`);
}

/** Splits a byte stream into lines, refusing one that grows past the limit. */
export class LineReader {
  private buffered = '';

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
  ) {}

  push(chunk: Buffer): void {
    this.buffered += chunk.toString('utf8');
    let newline = this.buffered.indexOf('\n');
    while (newline !== -1) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      if (line.trim()) this.onLine(line);
      newline = this.buffered.indexOf('\n');
    }
    if (Buffer.byteLength(this.buffered) > MAX_LINE_BYTES) {
      this.buffered = '';
      this.onOverflow();
    }
  }
}
