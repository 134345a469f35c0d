import { connect, type Socket } from 'node:net';
import type { Args, EventName, Events, Operation, Results } from '../../preload/contract';
import { controlSocketPath, LineReader, type ServerInfo, type ServerMessage } from '../control/socket-protocol';
import { GatehouseError, UsageError, type ErrorCode } from '../errors';
import type { CliControl } from './context';

/** A Gatehouse running on the same data folder, reached over its control socket. */
export interface RunningGatehouse {
  info: ServerInfo;
  control: CliControl;
  close(): void;
}

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };

/** The error the running Gatehouse sent, as the same kind of error a local call would throw. */
function remoteError(error: { code: string; message: string; fix?: string }): GatehouseError {
  if (error.code === 'BAD_USAGE') return new UsageError(error.message, error.fix);
  return new GatehouseError(error.code as ErrorCode, error.message, error.fix);
}

/** The client side of one connection: numbered requests, their answers, and events. */
function client(socket: Socket) {
  let next = 1;
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const fail = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  const reader = new LineReader(
    (line) => {
      const message = JSON.parse(line) as ServerMessage;
      if ('event' in message) return void listeners.get(message.event)?.forEach((l) => l(message.payload));
      const waiting = message.id === null ? undefined : pending.get(message.id);
      if (!waiting) return fail(remoteError(message.ok ? { code: 'INTERNAL', message: 'The running Gatehouse sent an answer nobody asked for.' } : message.error));
      pending.delete(message.id!);
      if (message.ok) waiting.resolve(message.result);
      else waiting.reject(remoteError(message.error));
    },
    () => socket.destroy(new Error('The running Gatehouse sent a message too large to read.')),
  );
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  socket.once('close', () => fail(new GatehouseError('CONTROL_LOST', 'The running Gatehouse went away before it answered.', 'Check that it still runs: gatehouse status')));
  const request = (message: Record<string, unknown>) =>
    new Promise<unknown>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      socket.write(`${JSON.stringify({ id, ...message })}\n`);
    });
  const on = <E extends EventName>(event: E, listener: (payload: Events[E]) => void) => {
    let set = listeners.get(event);
    if (!set) {
      listeners.set(event, (set = new Set()));
      void request({ subscribe: [event] }).catch(() => undefined);
    }
    set.add(listener as (payload: unknown) => void);
    return () => void set.delete(listener as (payload: unknown) => void);
  };
  return { request, on };
}

/**
 * Connects to the Gatehouse running on `dataDir`, or resolves null when none runs there (no
 * socket, a stale one, or nothing answering within the timeout).
 */
export function connectRunning(dataDir: string, timeoutMs = 1500): Promise<RunningGatehouse | null> {
  return new Promise((resolve) => {
    const socket = connect(controlSocketPath(dataDir));
    const give = (value: RunningGatehouse | null) => {
      clearTimeout(timer);
      if (!value) socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => give(null), timeoutMs);
    socket.once('error', () => give(null));
    socket.once('connect', () => {
      const { request, on } = client(socket);
      request({ hello: true }).then(
        (info) => {
          const control: CliControl = { call: <O extends Operation>(operation: O, args: Args<O>) => request({ call: operation, args }) as Promise<Results[O]>, on };
          give({ info: info as ServerInfo, control, close: () => socket.end() });
        },
        () => give(null),
      );
    });
  });
}

/** The line the CLI prints when it worked through a running Gatehouse. */
export function talkedTo({ info }: RunningGatehouse): string {
  const where = info.urls.find((u) => !u.includes('//localhost')) ?? info.urls[0] ?? `port ${info.port}`;
  return `(through the running Gatehouse: ${info.kind === 'tray' ? 'the tray app' : 'gatehouse serve'}, pid ${info.pid}, ${where})`;
}
