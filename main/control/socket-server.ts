import { chmodSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { EVENT_NAMES, type EventName } from '../../preload/contract';
import type { Logger } from '../log';
import { errorBody, type ControlApi } from './control-api';
import { LineReader, type ClientMessage, type ServerInfo, type ServerMessage } from './socket-protocol';

const MAX_CLIENTS = 16;

export interface ControlSocket {
  path: string;
  close(): Promise<void>;
}

/** Whether something answers on the socket (another Gatehouse on the same data folder). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

function parse(line: string): ClientMessage | null {
  try {
    const message = JSON.parse(line) as Partial<Record<'id' | 'call' | 'subscribe' | 'hello', unknown>> | null;
    if (!message || typeof message !== 'object' || !Number.isSafeInteger(message.id)) return null;
    if (typeof message.call === 'string' || message.hello === true) return message as ClientMessage;
    if (Array.isArray(message.subscribe) && message.subscribe.every((e) => EVENT_NAMES.includes(e as EventName))) return message as ClientMessage;
    return null;
  } catch {
    return null;
  }
}

/** One CLI connection: its calls run as `cli` through the ControlApi, its subscriptions get events. */
function serveClient(socket: Socket, control: ControlApi, info: () => ServerInfo, log: Logger): void {
  const offs: Array<() => void> = [];
  const send = (message: ServerMessage) => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
  };
  const refuse = (message: string) => {
    send({ id: null, ok: false, error: { code: 'BAD_USAGE', message } });
    socket.end();
  };
  const reader = new LineReader(
    (line) => {
      const message = parse(line);
      if (!message) return refuse('That is not a Gatehouse control message; the connection is closed.');
      if ('hello' in message) return send({ id: message.id, ok: true, result: info() });
      if ('subscribe' in message) {
        for (const name of message.subscribe) offs.push(control.on(name, (payload) => send({ event: name, payload })));
        return send({ id: message.id, ok: true, result: null });
      }
      control.call(message.call, message.args ?? {}, 'cli').then(
        (result) => send({ id: message.id, ok: true, result }),
        (err: unknown) => {
          if (!(err instanceof Error && err.name === 'GatehouseError')) log.error(`Control socket operation ${message.call.slice(0, 64)} failed.`, err);
          send({ id: message.id, ok: false, ...errorBody(err) });
        },
      );
    },
    () => refuse('That message is too large; the connection is closed.'),
  );
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  socket.on('error', () => socket.destroy());
  socket.once('close', () => {
    for (const off of offs) off();
  });
}

/**
 * Serves the ControlApi on the local control socket, for the CLI. Reaching the socket is the
 * permission: it lives in the data folder (0700) and is itself 0600, so only this user can connect.
 * A stale socket left by a crash is replaced; one that answers belongs to another Gatehouse on the
 * same data folder, and is left alone (the CLI keeps talking to that one).
 */
export async function serveControlSocket(path: string, control: ControlApi, info: () => ServerInfo, log: Logger): Promise<ControlSocket | null> {
  const windows = process.platform === 'win32';
  if (!windows && (await answers(path))) {
    log.warn(`Another Gatehouse already answers on ${path}; the CLI will keep talking to that one.`);
    return null;
  }
  if (!windows) {
    try {
      unlinkSync(path);
    } catch {
      /* nothing was left behind */
    }
  }
  const open = new Set<Socket>();
  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    serveClient(socket, control, info, log);
  });
  server.maxConnections = MAX_CLIENTS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  if (!windows) chmodSync(path, 0o600);
  server.unref();
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open CLI connections (a pull being watched) end with the Gatehouse.
        for (const socket of open) socket.destroy();
      }),
  };
}
