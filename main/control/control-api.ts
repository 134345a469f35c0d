import type { z } from 'zod';
import { schemas, type ApiErrorBody, type EventName, type Events, type Operation } from '../../preload/contract';
import { LOCAL_UPSTREAM } from '../../preload/rules';
import { GatehouseError, UsageError } from '../errors';
import type { Actor } from '../metering/records';
import type { ControlContext } from './context';
import { createHandlers } from './handlers';

type Listener<E extends EventName> = (payload: Events[E]) => void;

/** A refusal of the arguments, naming the field and what was wrong with it. */
export function argumentsError(operation: string, error: z.ZodError): UsageError {
  const first = error.issues[0];
  const where = first?.path.length ? `${first.path.join('.')}: ` : '';
  return new UsageError(`Invalid arguments for ${operation}: ${where}${(first?.message ?? 'not accepted').replace(/\.$/, '')}.`);
}

export function isOperation(name: string): name is Operation {
  return Object.hasOwn(schemas, name);
}

/** The error body both transports send, never with internals of an unexpected failure. */
export function errorBody(err: unknown): ApiErrorBody {
  if (err instanceof GatehouseError) return { error: { code: err.code, message: err.message, ...(err.fix ? { fix: err.fix } : {}) } };
  return { error: { code: 'INTERNAL', message: 'Gatehouse hit an internal error. Details are in its log.' } };
}

/**
 * Everything the window, a browser on /admin and the CLI may do, in one place. Transports hand
 * it an operation name and untrusted arguments; it validates them against the contract's schema
 * and runs the operation as `actor`. Events (Ollama status, pull progress, live requests,
 * "something changed") fan out to every subscriber.
 */
export class ControlApi {
  private readonly handlers;
  private readonly listeners = new Map<EventName, Set<Listener<EventName>>>();
  private readonly unhook: Array<() => void> = [];
  private liveTimer: NodeJS.Timeout | undefined;

  constructor(ctx: ControlContext) {
    this.handlers = createHandlers(ctx, (what) => this.emit('changed', { what }));
    if (ctx.ollama) this.unhook.push(ctx.ollama.subscribe((s) => this.emit('ollama', s)));
    this.unhook.push(
      ctx.pulls.subscribe((job) => {
        // Written before anyone hears "done", so a CLI that exits on it never loses the audit row.
        const elsewhere = job.on !== LOCAL_UPSTREAM;
        if (job.state === 'done' && job.requestedBy) {
          ctx.store.metering.audit({ at: Date.now(), actor: job.requestedBy as Actor, action: 'model.pulled', target: job.model, ...(elsewhere ? { detail: `on ${job.on}` } : {}) });
        }
        this.emit('pull', job);
        if (job.state === 'done') {
          // Routing learns of the new model now, not at the next poll.
          void ctx.hosts?.refresh(job.on);
          this.emit('changed', { what: 'models' });
        }
      }),
    );
    const metering = ctx.metering;
    if (metering) {
      // A burst of requests becomes one update every 200 ms, not one per request.
      this.unhook.push(
        metering.onLive(() => {
          // Headless with no dashboard open: nothing to schedule on the request path.
          if (!this.listeners.get('live')?.size) return;
          this.liveTimer ??= setTimeout(() => {
            this.liveTimer = undefined;
            this.emit('live', metering.live());
          }, 200);
        }),
      );
    }
    this.unhook.push(ctx.store.onChange(() => this.emit('changed', { what: 'settings' })));
    // A host went down or came back, or has other models: the window and the tray say so.
    if (ctx.hosts) this.unhook.push(ctx.hosts.onChange(() => this.emit('changed', { what: 'upstreams' })));
  }

  /** Runs one operation; throws a GatehouseError (UsageError for bad arguments) a person can read. */
  async call(operation: string, args: unknown, actor: Actor): Promise<unknown> {
    if (!isOperation(operation)) throw new GatehouseError('UNKNOWN_OPERATION', `There is no operation called "${operation.slice(0, 64)}".`);
    const parsed = schemas[operation].safeParse(args ?? {});
    if (!parsed.success) throw argumentsError(operation, parsed.error);
    const handler = this.handlers[operation] as (a: unknown, actor: Actor) => unknown;
    return await handler(parsed.data, actor);
  }

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<EventName>);
    return () => set.delete(listener as Listener<EventName>);
  }

  close(): void {
    clearTimeout(this.liveTimer);
    for (const off of this.unhook) off();
    this.listeners.clear();
  }

  /** The served certificate, or what is wrong with it, changed (a renewal, a failed one). */
  certificateChanged(): void {
    this.emit('changed', { what: 'certificate' });
  }

  private emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        listener(payload);
      } catch {
        /* one broken subscriber (a closed window) must not stop the others */
      }
    }
  }
}
