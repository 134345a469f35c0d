import { LOCAL_UPSTREAM } from '../../preload/rules';
import { canonicalModelName, DEFAULT_HOST } from '../auth/model-names';
import { parseRegistryList, registryRefusal } from '../auth/registries';
import { GatehouseError, UsageError } from '../errors';
import type { HandlerContext, Handlers } from './context';
import { clientOn } from './upstreams';

/** Refuses a pull that would send Ollama to a registry that is not on the allow-list. */
function checkRegistry(model: string, allowList: string): void {
  const parsed = canonicalModelName(model);
  if (!parsed.ok) throw new UsageError(parsed.message);
  const refusal = registryRefusal(parsed.host ?? DEFAULT_HOST, parseRegistryList(allowList));
  if (refusal) throw new GatehouseError('REGISTRY_REFUSED', `Ollama may not fetch "${model}": ${refusal}.`, 'If you trust that registry, add its name to registryAllowList in Settings on the Gatehouse computer.');
}

type ModelOperations = 'listModels' | 'pullModel' | 'cancelPull' | 'deleteModel' | 'getOllamaStatus' | 'ollamaAction' | 'getOllamaLogs';

/** The local Ollama: its models (list, pull, delete) and, when supervised, the process itself. */
export function modelHandlers(ctx: HandlerContext): Pick<Handlers, ModelOperations> {
  const requireOllama = () => {
    if (!ctx.ollama) throw new GatehouseError('NOT_SUPERVISING', 'This Gatehouse does not watch over Ollama.', 'Start it with gatehouse serve (without --no-supervise) or the tray app.');
    return ctx.ollama;
  };
  return {
    listModels: async ({ on }) => {
      const client = clientOn(ctx, on);
      const [installed, running] = await Promise.all([client.tags(), client.ps()]);
      return { installed, running, pulls: ctx.pulls.list().filter((j) => j.on === (on ?? LOCAL_UPSTREAM)) };
    },
    pullModel: ({ model, on = LOCAL_UPSTREAM }, actor) => {
      checkRegistry(model, ctx.settings().registryAllowList);
      clientOn(ctx, on); // an unknown host is refused here, with the way to list them
      // Audited by the ControlApi when it finishes (see control-api.ts), so every way of pulling is.
      const done = ctx.pulls.pull(model, actor, on);
      return ctx.pulls.list().find((j) => j.model === model && j.on === on && j.state === 'pulling') ?? done;
    },
    cancelPull: ({ model, on }) => ({ cancelled: ctx.pulls.cancel(model, on) }),
    deleteModel: async ({ model, on }, actor) => {
      await clientOn(ctx, on).delete(model);
      ctx.store.metering.audit({ at: ctx.clock(), actor, action: 'model.deleted', target: model, ...(on && on !== LOCAL_UPSTREAM ? { detail: `on ${on}` } : {}) });
      void ctx.hosts?.refresh(on ?? LOCAL_UPSTREAM);
      ctx.changed('models');
      return { deleted: model };
    },
    getOllamaStatus: () => ctx.ollama?.status() ?? null,
    ollamaAction: async ({ action }, actor) => {
      const ollama = requireOllama();
      const status = action === 'start' ? await ollama.startOllama() : action === 'stop' ? await ollama.stopOllama() : await ollama.restartOllama();
      ctx.store.metering.audit({ at: ctx.clock(), actor, action: `ollama.${action}`, target: status.upstream });
      return status;
    },
    getOllamaLogs: () => ctx.ollama?.logs() ?? [],
  };
}
