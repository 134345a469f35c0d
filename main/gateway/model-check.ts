import type { ModelAcl } from '../auth/model-acl';
import { canonicalModelName } from '../auth/model-names';
import type { Problem } from './problems';
import { MODEL_FIELD_NAMES, type RouteDef } from './routes';

export type ModelCheck =
  | { ok: true; models: string[]; json?: Record<string, unknown> }
  | { ok: false; problem: Problem; deniedModel?: string };

const bad = (message: string): ModelCheck => ({ ok: false, problem: { status: 400, code: 'bad_request', message } });

/**
 * How Go's encoding/json (which Ollama uses) matches an object key to a struct field: without
 * regard to case, and with Unicode folding, so "MODEL", "Model" and "ſource" (long s) all land in
 * the same field as "model" or "source". JSON.parse keeps them apart, so they are refused.
 */
export function goFold(key: string): string {
  return key.replace(/\u017f/g, 's').replace(/\u212a/g, 'k').toLowerCase();
}

function parseBody(body: Buffer | undefined): { ok: true; json: Record<string, unknown> } | { ok: false; check: ModelCheck } {
  if (!body || body.length === 0) return { ok: false, check: bad('This request needs a JSON body that names the model.') };
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, check: bad('The request body is not valid JSON.') };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, check: bad('The request body must be a JSON object.') };
  }
  for (const key of Object.keys(json)) {
    const folded = goFold(key);
    if (folded !== key && MODEL_FIELD_NAMES.has(folded)) {
      return { ok: false, check: bad(`The field "${key}" must be written "${folded}".`) };
    }
  }
  return { ok: true, json: json as Record<string, unknown> };
}

/**
 * Finds every model a request names (body fields and path parameter, as the route declares them)
 * and checks each against the token's ACL. Nothing that fails here reaches Ollama.
 */
export function checkModels(route: RouteDef, params: Record<string, string>, body: Buffer | undefined, acl: ModelAcl, tokenName: string): ModelCheck {
  const spec = route.models;
  if (!spec) return { ok: true, models: [] };
  const names: unknown[] = [];
  let json: Record<string, unknown> | undefined;
  if (spec.param) names.push(params[spec.param]);
  if (spec.required.length || spec.optional?.length) {
    const parsed = parseBody(body);
    if (!parsed.ok) return parsed.check;
    json = parsed.json;
    for (const group of spec.required) {
      const present = group.filter((f) => json![f] !== undefined);
      if (present.length === 0) return bad(`The request names no model (expected the field "${group[0]}").`);
      for (const f of present) names.push(json[f]);
    }
    for (const f of spec.optional ?? []) if (json[f] !== undefined) names.push(json[f]);
  }
  const models: string[] = [];
  for (const raw of names) {
    const parsed = canonicalModelName(raw);
    if (!parsed.ok) return bad(parsed.message);
    const verdict = acl.check(parsed.canonical);
    if (!verdict.allowed) {
      return {
        ok: false,
        deniedModel: parsed.canonical,
        problem: { status: 403, code: 'model_denied', message: `The model "${String(raw)}" is not available to the token "${tokenName}": ${verdict.why}.` },
      };
    }
    models.push(parsed.canonical);
  }
  return { ok: true, models, ...(json ? { json } : {}) };
}
