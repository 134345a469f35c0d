import type { Scope } from '../store/tokens-repo';

/** Which error shape a client expects: Ollama's `{"error":"…"}` or OpenAI's `{"error":{…}}`. */
export type Family = 'ollama' | 'openai' | 'anthropic';
export type Method = 'GET' | 'HEAD' | 'POST' | 'DELETE';

/**
 * Where a request names its models. `required`: groups of JSON fields of which at least one must
 * be present (`model`, or Ollama's legacy `name`); `optional`: fields checked when present; `param`:
 * the path parameter that is a model name. Every field present is checked, not just the first.
 */
export interface ModelFields {
  required: readonly (readonly string[])[];
  optional?: readonly string[];
  param?: string;
}

/** Which filtered list a route returns: the array field and the field holding each model's name. */
export interface ListShape {
  array: string;
  nameField: string;
}

export interface RouteDef {
  method: Method;
  /** Canonical path as Ollama routes it; `:name` marks a parameter. */
  pattern: string;
  scope: Scope;
  family: Family;
  models?: ModelFields;
  list?: ListShape;
  /** The body streams through unread (multi-gigabyte blob uploads). */
  rawBody?: boolean;
  /** The body is multipart/form-data (an audio file); the model fields are its text fields. */
  form?: boolean;
  /** Ollama contacts a registry for the models this route names (pull, push, create from one). */
  registry?: boolean;
  /** Runs on the owner's ollama.com account whatever the model: needs the cloud permission. */
  cloud?: boolean;
  /** Generates text: a stream cut short is counted by its pieces. Nothing else is. */
  generates?: boolean;
}

export interface MatchedRoute {
  route: RouteDef;
  /** The path forwarded upstream: canonical case, parameters re-encoded (their charset is restricted). */
  path: string;
  params: Record<string, string>;
}

/**
 * Everything the gateway forwards. Anything not listed (Ollama's account routes `/api/me`,
 * `/api/signout`, `/api/user/keys/…`, other experimental routes, unknown methods) is refused for
 * every token, whatever the path looks like on the way in.
 */
const NATIVE: ModelFields = { required: [['model', 'name']] };
const OPENAI: ModelFields = { required: [['model']] };
const TAGS: ListShape = { array: 'models', nameField: 'name' };

type Extra = Omit<RouteDef, 'method' | 'pattern' | 'scope' | 'family'>;
const TABLE: Array<[Method[], string, Scope, Family, Extra?]> = [
  [['GET', 'HEAD'], '/', 'inference', 'ollama'],
  [['GET', 'HEAD'], '/api/version', 'inference', 'ollama'],
  [['GET', 'HEAD'], '/api/tags', 'inference', 'ollama', { list: TAGS }],
  // GET only: Ollama registers no HEAD for /api/ps.
  [['GET'], '/api/ps', 'inference', 'ollama', { list: TAGS }],
  [['POST'], '/api/generate', 'inference', 'ollama', { models: NATIVE, generates: true }],
  [['POST'], '/api/chat', 'inference', 'ollama', { models: NATIVE, generates: true }],
  [['POST'], '/api/embed', 'inference', 'ollama', { models: NATIVE }],
  [['POST'], '/api/embeddings', 'inference', 'ollama', { models: NATIVE }],
  [['POST'], '/api/show', 'inference', 'ollama', { models: NATIVE }],
  [['POST'], '/v1/chat/completions', 'inference', 'openai', { models: OPENAI, generates: true }],
  [['POST'], '/v1/completions', 'inference', 'openai', { models: OPENAI, generates: true }],
  [['POST'], '/v1/embeddings', 'inference', 'openai', { models: OPENAI }],
  [['POST'], '/v1/responses', 'inference', 'openai', { models: OPENAI, generates: true }],
  [['POST'], '/v1/messages', 'inference', 'anthropic', { models: OPENAI, generates: true }],
  [['POST'], '/v1/audio/transcriptions', 'inference', 'openai', { models: OPENAI, form: true }],
  [['GET'], '/v1/models', 'inference', 'openai', { list: { array: 'data', nameField: 'id' } }],
  [['GET'], '/v1/models/:model', 'inference', 'openai', { models: { required: [], param: 'model' } }],
  [['POST'], '/api/experimental/web_search', 'inference', 'ollama', { cloud: true }],
  [['POST'], '/api/experimental/web_fetch', 'inference', 'ollama', { cloud: true }],
  [['POST'], '/api/pull', 'admin', 'ollama', { models: NATIVE, registry: true }],
  [['POST'], '/api/push', 'admin', 'ollama', { models: NATIVE, registry: true }],
  [['POST'], '/api/create', 'admin', 'ollama', { models: { required: [['model', 'name']], optional: ['from'] }, registry: true }],
  [['POST'], '/api/copy', 'admin', 'ollama', { models: { required: [['source'], ['destination']] } }],
  [['DELETE'], '/api/delete', 'admin', 'ollama', { models: NATIVE }],
  [['HEAD', 'POST'], '/api/blobs/:digest', 'admin', 'ollama', { rawBody: true }],
];

export const ROUTES: readonly RouteDef[] = TABLE.flatMap(([methods, pattern, scope, family, extra]) =>
  methods.map((method) => ({ method, pattern, scope, family, ...extra })),
);

/** Every JSON field that names a model on some route. */
export const MODEL_FIELD_NAMES: ReadonlySet<string> = new Set(
  ROUTES.flatMap((r) => [...(r.models?.required.flat() ?? []), ...(r.models?.optional ?? [])]),
);

const PARAM_VALUE: Record<string, RegExp> = {
  // One path segment, as Ollama's router matches /v1/models/:model: a name with a "/" is not found there.
  model: /^[\p{L}\p{N}._:-]{1,200}$/u,
  digest: /^sha256[:-][0-9a-f]{64}$/,
};

const staticRoutes = new Map<string, RouteDef>();
const paramRoutes: Array<{ route: RouteDef; segments: string[] }> = [];
for (const route of ROUTES) {
  if (route.pattern.includes(':')) paramRoutes.push({ route, segments: route.pattern.split('/') });
  else staticRoutes.set(`${route.method} ${route.pattern}`, route);
}

/**
 * The API family a canonical path belongs to, for error shapes (also for paths that match no
 * route): Anthropic's Messages API, the rest of /v1 (OpenAI's), else Ollama's own.
 */
export function familyOf(path: string): Family {
  if (/^\/v1\/messages(\/|$)/i.test(path)) return 'anthropic';
  return /^\/v1(\/|$)/i.test(path) ? 'openai' : 'ollama';
}

export type Normalised = { ok: true; path: string } | { ok: false; message: string };

/**
 * Turns the request target into the one path both the gateway and Ollama will agree on. Anything
 * that could make the two disagree (encoded slashes or backslashes, NUL, dot segments, bad
 * percent-encoding) is refused instead of guessed at. The query string is dropped: Ollama uses none.
 */
export function normalisePath(rawUrl: string): Normalised {
  const q = rawUrl.indexOf('?');
  const raw = q === -1 ? rawUrl : rawUrl.slice(0, q);
  if (!raw.startsWith('/')) return { ok: false, message: 'The request path must start with /.' };
  if (/%(2f|5c|00)/i.test(raw)) return { ok: false, message: 'Encoded slashes and NUL bytes are not allowed in the path.' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return { ok: false, message: 'The request path has broken percent-encoding.' };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(decoded)) {
    return { ok: false, message: 'Backslashes and control characters are not allowed in the path.' };
  }
  let path = decoded.replace(/\/{2,}/g, '/');
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  if (path.split('/').some((s) => s === '.' || s === '..')) {
    return { ok: false, message: 'Paths with "." or ".." segments are not allowed.' };
  }
  return { ok: true, path };
}

/** Finds the route for a normalised path: fixed parts compare case-insensitively, parameters exactly. */
export function matchRoute(method: string, path: string): MatchedRoute | undefined {
  const upper = method.toUpperCase();
  const fixed = staticRoutes.get(`${upper} ${path.toLowerCase()}`);
  if (fixed) return { route: fixed, path: fixed.pattern, params: {} };
  const parts = path.split('/');
  for (const { route, segments } of paramRoutes) {
    if (route.method !== upper) continue;
    const params = matchSegments(segments, parts);
    if (!params) continue;
    const out = segments.map((s) => (s.startsWith(':') ? encodeURI(params[s.slice(1)] as string) : s));
    return { route, path: out.join('/'), params };
  }
  return undefined;
}

function matchSegments(segments: string[], parts: string[]): Record<string, string> | undefined {
  // A model name may contain slashes (namespace/model), so a trailing parameter takes the rest.
  const last = segments.length - 1;
  if (parts.length < segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i <= last; i++) {
    const seg = segments[i] as string;
    const value = i === last ? parts.slice(i).join('/') : (parts[i] as string);
    if (seg.startsWith(':')) {
      const name = seg.slice(1);
      if (!(PARAM_VALUE[name] ?? /^.+$/).test(value)) return undefined;
      params[name] = value;
    } else if (seg !== value.toLowerCase()) {
      return undefined;
    }
  }
  return params;
}

/** Whether some route exists for this path under another method (405 rather than 404). */
export function pathExists(path: string): boolean {
  return ['GET', 'HEAD', 'POST', 'DELETE'].some((m) => matchRoute(m, path));
}
