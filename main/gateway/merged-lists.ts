import type { FastifyReply } from 'fastify';
import type { ModelAcl } from '../auth/model-acl';
import { CONTROL_USER_AGENT } from '../ollama/client';
import type { UpstreamHost } from '../upstreams/host';
import { filterModelList, MAX_LIST_BYTES } from './model-lists';
import { sendProblem } from './problems';
import type { ListShape } from './routes';

/** A host that takes longer than this to list its models is left out of the answer. */
const LIST_TIMEOUT_MS = 10_000;

type Listed = { host: string; body: Record<string, unknown> };

async function listOf(host: UpstreamHost, path: string): Promise<Listed | null> {
  try {
    const origin = new URL(host.config.origin()).origin;
    const res = await host.fetch(`${origin}${path}`, { headers: { 'user-agent': CONTROL_USER_AGENT }, signal: AbortSignal.timeout(LIST_TIMEOUT_MS) });
    const text = res.ok ? await res.text() : '';
    if (!res.ok || text.length > MAX_LIST_BYTES) return null;
    const body = JSON.parse(text) as unknown;
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? { host: host.name, body: body as Record<string, unknown> } : null;
  } catch {
    return null;
  }
}

/**
 * The union of several hosts' lists, de-duplicated by name (the first host's entry wins, in the
 * order the hosts were added, the local one first). Each entry says where it lives in a
 * `gatehouse.hosts` field, which Ollama's and OpenAI's clients ignore.
 */
export function mergeLists(lists: readonly Listed[], shape: ListShape): Record<string, unknown> {
  const byName = new Map<string, { entry: Record<string, unknown>; hosts: string[] }>();
  for (const { host, body } of lists) {
    const entries = body[shape.array];
    if (!Array.isArray(entries)) continue;
    for (const entry of entries as unknown[]) {
      if (typeof entry !== 'object' || entry === null) continue;
      const name = (entry as Record<string, unknown>)[shape.nameField];
      if (typeof name !== 'string') continue;
      const seen = byName.get(name);
      if (seen) seen.hosts.push(host);
      else byName.set(name, { entry: entry as Record<string, unknown>, hosts: [host] });
    }
  }
  const merged = [...byName.values()].map(({ entry, hosts }) => ({ ...entry, gatehouse: { hosts } }));
  return { ...(lists[0]?.body ?? {}), [shape.array]: merged };
}

/**
 * Answers a model list (/api/tags, /api/ps, /v1/models) from every host that is up, merged, with
 * the models this token may not use taken out. Hosts that fail to answer are left out; when none
 * answers, the client hears so.
 */
export async function sendMergedList(reply: FastifyReply, hosts: readonly UpstreamHost[], path: string, shape: ListShape, acl: ModelAcl): Promise<void> {
  const asked = hosts.filter((h) => h.state !== 'down');
  const lists = (await Promise.all(asked.map((h) => listOf(h, path)))).filter((l): l is Listed => l !== null);
  if (reply.raw.destroyed) return;
  if (lists.length === 0) {
    const message = `None of the ${hosts.length} Ollama hosts answered with its models. Check them with gatehouse upstreams list.`;
    return void sendProblem(reply, { status: 502, code: 'upstream_unreachable', message });
  }
  const filtered = filterModelList(JSON.stringify(mergeLists(lists, shape)), shape, acl)!;
  void reply.code(200).type('application/json; charset=utf-8').header('x-accel-buffering', 'no').send(filtered);
}
