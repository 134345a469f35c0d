import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { isLoopback } from '../config/cidr';
import { plainIp } from './client-address';

export interface ConnectionLimits {
  /** Headers must arrive within this (slowloris); Node checks every `checkIntervalMs`. */
  headersTimeoutMs: number;
  checkIntervalMs: number;
  /** A request body (other than a blob upload) must arrive whole within this. */
  bodyTimeoutMs: number;
  /** Open connections from one address, before any authentication (this computer is exempt). */
  perAddress: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { headersTimeoutMs: 10_000, checkIntervalMs: 2_000, bodyTimeoutMs: 20_000, perAddress: 64 };

const hasBody = (raw: IncomingMessage) => (raw.headers['content-length'] !== undefined && raw.headers['content-length'] !== '0') || raw.headers['transfer-encoding'] !== undefined;

/** The options Node's HTTP(S) server takes for the header deadline. */
export function serverTimeouts(limits: ConnectionLimits) {
  return { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: limits.checkIntervalMs };
}

/**
 * Bounds what a client can hold open without ever authenticating: connections per address, the
 * time to send headers and a (non-blob) body, and the rest of a body the gateway refused before
 * reading it (a `Content-Length: 1e9` that then dribbles). Streams that were admitted are not
 * bounded: a cold model load may send nothing for minutes.
 */
export function guardConnections(app: FastifyInstance, limits: ConnectionLimits): void {
  const perAddress = new Map<string, number>();
  (app.server).on('connection', (socket: Socket) => {
    const ip = plainIp(socket.remoteAddress ?? '');
    if (isLoopback(ip)) return;
    const open = (perAddress.get(ip) ?? 0) + 1;
    if (open > limits.perAddress) return void socket.destroy();
    perAddress.set(ip, open);
    socket.once('close', () => {
      const left = (perAddress.get(ip) ?? 1) - 1;
      if (left <= 0) perAddress.delete(ip);
      else perAddress.set(ip, left);
    });
  });

  app.addHook('onRequest', (request, _reply, done) => {
    const raw = request.raw;
    // The router's match decides what is a blob upload, not the raw URL.
    if (hasBody(raw) && !raw.complete && !request.routeOptions.url?.startsWith('/api/blobs')) {
      const timer = setTimeout(() => {
        if (!raw.complete) raw.socket.destroy();
      }, limits.bodyTimeoutMs);
      timer.unref();
      raw.once('end', () => clearTimeout(timer));
      raw.once('close', () => clearTimeout(timer));
    }
    done();
  });

  // Answered before the body was read (a refusal): close rather than wait for the rest of it.
  app.addHook('onResponse', (request, _reply, done) => {
    const raw = request.raw;
    if (hasBody(raw) && !raw.complete && !raw.socket.destroyed) {
      raw.socket.end();
      setTimeout(() => raw.socket.destroy(), 1000).unref();
    }
    done();
  });
}
