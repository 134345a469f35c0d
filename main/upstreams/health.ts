import { canonicalModelName } from '../auth/model-names';
import { CONTROL_USER_AGENT } from '../ollama/client';
import type { UpstreamHost } from './host';

/** How often a host that is up is asked for its models; one that is down is retried with backoff. */
export const POLL_MS = 5000;
const MAX_RETRY_MS = 60_000;

/** The wait before checking a failing host again: 1 s, 2 s, 4 s … at most a minute. */
export function retryDelayMs(failures: number): number {
  return Math.min(MAX_RETRY_MS, 1000 * 2 ** Math.max(0, failures - 1));
}

export type Probe = { ok: true; models: Set<string>; loaded: Set<string> } | { ok: false; error: string };

/** Why a request to a host failed, in words an owner can act on. */
export function describeFailure(err: unknown, origin: string): string {
  const error = err as Error & { code?: string; cause?: Error & { code?: string } };
  const code = error.cause?.code ?? error.code ?? '';
  if (code === 'EGRESS_REFUSED') return error.cause?.message ?? error.message;
  if (error.name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT') return `${origin} did not answer in time.`;
  if (code === 'ECONNREFUSED') return `Nothing answers at ${origin} (connection refused): is Ollama (or Gatehouse) running there?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `The name in ${origin} does not resolve.`;
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    return `The certificate of ${origin} is not trusted (${code}). For another Gatehouse, add it with --ca and that Gatehouse's CA file.`;
  }
  return `${origin} is not reachable${code ? ` (${code})` : ''}.`;
}

function namesOf(body: unknown): Set<string> | null {
  const list = (body as { models?: unknown } | null)?.models;
  if (list === null || list === undefined) return new Set();
  if (!Array.isArray(list)) return null;
  const names = new Set<string>();
  for (const entry of list as Array<{ name?: unknown; model?: unknown }>) {
    const parsed = canonicalModelName(entry?.name ?? entry?.model);
    if (parsed.ok) names.add(parsed.canonical);
  }
  return names;
}

/** Asks a host for its installed and its loaded models; any failure says what went wrong. */
export async function probeHost(host: UpstreamHost, timeoutMs: number): Promise<Probe> {
  const origin = new URL(host.config.origin()).origin;
  const get = async (path: string): Promise<Set<string> | string> => {
    const res = await host.fetch(`${origin}${path}`, { headers: { 'user-agent': CONTROL_USER_AGENT }, signal: AbortSignal.timeout(timeoutMs) });
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      return `${origin} refused Gatehouse's token (HTTP ${res.status}). Check the token given with --token, and that it may use the models.`;
    }
    if (!res.ok) {
      await res.body?.cancel();
      return `${origin} answered ${path} with HTTP ${res.status}.`;
    }
    const names = namesOf(await res.json().catch(() => null));
    return names ?? `${origin} did not answer ${path} as Ollama does.`;
  };
  try {
    const [models, loaded] = await Promise.all([get('/api/tags'), get('/api/ps')]);
    if (typeof models === 'string') return { ok: false, error: models };
    if (typeof loaded === 'string') return { ok: false, error: loaded };
    return { ok: true, models, loaded };
  } catch (err) {
    return { ok: false, error: describeFailure(err, origin) };
  }
}
