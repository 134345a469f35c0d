import { CLOUD_REFUSAL, type ModelAcl } from '../auth/model-acl';
import { canonicalModelName, DEFAULT_HOST } from '../auth/model-names';
import { registryRefusal } from '../auth/registries';
import { scanObject, valueOf, type TopLevel } from './json-scan';
import type { Problem } from './problems';
import { MODEL_FIELD_NAMES, type RouteDef } from './routes';

/** A body read by the bounded scan: the bytes, and where its top-level fields are. */
export interface ScannedBody {
  buf: Buffer;
  top: TopLevel;
  /** The parsed value of a top-level field (the last, if it is given twice, as Go reads it). */
  get(field: string): unknown;
  /** Every value given for a field (a duplicated key is checked in each spelling). */
  all(field: string): unknown[];
}

export type ModelCheck =
  | { ok: true; models: string[]; body?: ScannedBody }
  | { ok: false; problem: Problem; deniedModel?: string };

/** Who is asking, as far as the models they name are concerned. */
export interface ModelPolicy {
  acl: ModelAcl;
  tokenName: string;
  /** Registry hosts Ollama may be sent to (pull, push, create). */
  registries: readonly string[];
  /** Models Ollama lists as aliases of cloud models (`remote_host`), whatever their names. */
  isRemote?: (canonical: string) => boolean;
}

const bad = (message: string): ModelCheck => ({ ok: false, problem: { status: 400, code: 'bad_request', message } });
const refused = (code: string, message: string) => ({ ok: false as const, problem: { status: 403, code, message } });

/**
 * How Go's encoding/json (which Ollama uses) matches an object key to a struct field: without
 * regard to case, and with Unicode folding, so "MODEL", "Model" and "ſource" (long s) all land in
 * the same field as "model" or "source". JSON.parse keeps them apart, so they are refused.
 */
export function goFold(key: string): string {
  return key.replace(/\u017f/g, 's').replace(/\u212a/g, 'k').toLowerCase();
}

/** Body fields that Gatehouse itself reads, in any spelling Go would accept. */
const GUARDED_FIELDS: ReadonlySet<string> = new Set([...MODEL_FIELD_NAMES, 'insecure', 'files', 'adapters']);

/** Reads a body's top level (bounded, see json-scan.ts) and refuses keys Go would fold onto a guarded field. */
export function readBody(body: Buffer | undefined): { ok: true; body: ScannedBody } | { ok: false; check: ModelCheck } {
  if (!body || body.length === 0) return { ok: false, check: bad('This request needs a JSON body that names the model.') };
  const scan = scanObject(body);
  if (!scan.ok) return { ok: false, check: bad(scan.message) };
  for (const { key } of scan.top.entries) {
    const folded = goFold(key);
    if (folded !== key && GUARDED_FIELDS.has(folded)) return { ok: false, check: bad(`The field "${key}" must be written "${folded}".`) };
  }
  const all = (field: string) => scan.top.entries.filter((e) => e.key === field).map((e) => valueOf(body, e));
  return { ok: true, body: { buf: body, top: scan.top, all, get: (field) => all(field).at(-1) } };
}

const nonEmpty = (v: unknown) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && Object.keys(v).length === 0);

/** Refusals that depend on the body but not on a model name: registry options and cloned weights. */
function bodyRefusal(route: RouteDef, body: ScannedBody, policy: ModelPolicy): ModelCheck | null {
  if (route.registry && body.all('insecure').some((v) => v !== false)) {
    return refused('insecure_refused', 'Pulling or pushing over plain HTTP or without checking the certificate ("insecure") is not allowed through Gatehouse.');
  }
  // `files` and `adapters` name blobs by digest: weights of any model, whatever the ACL says.
  if (route.pattern === '/api/create' && !policy.acl.unrestricted && [...body.all('files'), ...body.all('adapters')].some(nonEmpty)) {
    return refused('model_denied', `The token "${policy.tokenName}" may use only some models, so it may not create one from files or adapters (they can copy any model's weights by digest).`);
  }
  return null;
}

/** The names a form gives in the fields the route declares: each exactly once, as a text field. */
function namesInForm(route: RouteDef, form: ReadonlyMap<string, string[]>): { names: unknown[] } | ModelCheck {
  const names: unknown[] = [];
  for (const group of route.models!.required) {
    const present = group.filter((f) => form.has(f));
    if (present.length === 0) return bad(`The form names no model (expected the field "${group[0]}").`);
    for (const f of present) {
      const values = form.get(f)!;
      if (values.length !== 1) return bad(`The form gives the field "${f}" ${values.length} times; give it once.`);
      names.push(values[0]);
    }
  }
  return { names };
}

/** The names a request gives, from the path parameter and the body fields the route declares. */
function namesIn(route: RouteDef, params: Record<string, string>, raw: Buffer | undefined, policy: ModelPolicy, form?: ReadonlyMap<string, string[]>): { names: unknown[]; body?: ScannedBody } | ModelCheck {
  const spec = route.models!;
  if (route.form) return form ? namesInForm(route, form) : bad('This request needs a multipart form that names the model.');
  const names: unknown[] = [];
  if (spec.param) names.push(params[spec.param]);
  if (!spec.required.length && !spec.optional?.length) return { names };
  const read = readBody(raw);
  if (!read.ok) return read.check;
  const body = read.body;
  for (const group of spec.required) {
    const present = group.filter((f) => body.all(f).some((v) => v !== null));
    if (present.length === 0) return bad(`The request names no model (expected the field "${group[0]}").`);
    for (const f of present) names.push(...body.all(f));
  }
  for (const f of spec.optional ?? []) names.push(...body.all(f).filter((v) => v !== null));
  return bodyRefusal(route, body, policy) ?? { names, body };
}

/**
 * Finds every model a request names (body fields and path parameter, as the route declares them)
 * and checks each, in its canonical form, against the token's ACL and, where Ollama would fetch
 * it, the registry allow-list. Nothing that fails here reaches Ollama.
 */
export function checkModels(route: RouteDef, params: Record<string, string>, body: Buffer | undefined, policy: ModelPolicy, form?: ReadonlyMap<string, string[]>): ModelCheck {
  if (route.cloud && !policy.acl.cloud) {
    return refused('cloud_denied', `The token "${policy.tokenName}" may not use web search or fetch: they run on the owner's ollama.com account and need the cloud permission (gatehouse token update <name> --cloud).`);
  }
  if (!route.models) return { ok: true, models: [] };
  const found = namesIn(route, params, body, policy, form);
  if ('ok' in found) return found;
  const models: string[] = [];
  for (const raw of found.names) {
    const parsed = canonicalModelName(raw);
    if (!parsed.ok) return bad(parsed.message);
    const verdict = !policy.acl.cloud && !parsed.cloud && policy.isRemote?.(parsed.canonical) ? { allowed: false as const, why: CLOUD_REFUSAL } : policy.acl.check(parsed.canonical);
    if (!verdict.allowed) {
      return { ok: false, deniedModel: parsed.canonical, problem: { status: 403, code: 'model_denied', message: `The model "${String(raw)}" is not available to the token "${policy.tokenName}": ${verdict.why}.` } };
    }
    const registry = route.registry ? registryRefusal(parsed.host ?? DEFAULT_HOST, policy.registries) : null;
    if (registry) return { ...refused('registry_denied', `Ollama may not fetch "${String(raw)}": ${registry}.`), deniedModel: parsed.canonical };
    models.push(parsed.canonical);
  }
  return { ok: true, models, ...(found.body ? { body: found.body } : {}) };
}
