/**
 * Model names as Ollama resolves them: `[host/][namespace/]model[:tag]`, where the host defaults
 * to registry.ollama.ai, the namespace to `library` and the tag to `latest`. So `llama3.2`,
 * `library/llama3.2`, `REGISTRY.ollama.ai:443/library/llama3.2:latest` and `llama3.2:local` are
 * one model, and an ACL must treat them as one. Everything is compared in lower case, as Ollama
 * matches names.
 */
export const DEFAULT_HOST = 'registry.ollama.ai';
export const DEFAULT_NAMESPACE = 'library';

// Host may carry a port; parts are the characters Ollama's name parser accepts.
const PART = /^[a-z0-9][a-z0-9._-]*$/;
const HOST = /^[a-z0-9][a-z0-9.-]*(:\d{1,5})?$/;

export type ParsedName =
  | {
      ok: true;
      canonical: string;
      /** Runs on ollama.com on the owner's account (`:cloud`, `…-cloud` tags). */
      cloud: boolean;
      /** The registry host the name spells out, or null for the default (ollama.com's). */
      host: string | null;
    }
  | { ok: false; message: string };

type Source = { base: string; source: 'cloud' | 'local' | null };

/**
 * Ollama's source suffix (internal/modelref/modelref.go, parseSourceSuffix): a last `:cloud` or
 * `:local` (any case) is removed and names the source, and a last tag ending in `-cloud` means
 * the cloud with that tag. Given twice (`x:local:cloud`), Ollama refuses the name.
 */
function sourceSuffix(name: string): Source {
  const idx = name.lastIndexOf(':');
  if (idx === -1) return { base: name, source: null };
  const suffix = name.slice(idx + 1);
  if (suffix === 'cloud' || suffix === 'local') return { base: name.slice(0, idx), source: suffix };
  if (!suffix.includes('/') && suffix.endsWith('-cloud')) return { base: name.slice(0, -'-cloud'.length), source: 'cloud' };
  return { base: name, source: null };
}

/**
 * The one spelling of a model name that ACL patterns are matched against: `model:tag` for the
 * default library, `namespace/model:tag` for other namespaces on ollama.com, and the full
 * `host/namespace/model:tag` elsewhere; cloud models in Ollama's pull form (`model:cloud`,
 * `model:tag-cloud`). Digest references and anything outside Ollama's name alphabet are refused:
 * they could name a model the patterns do not see.
 */
export function canonicalModelName(raw: unknown): ParsedName {
  if (typeof raw !== 'string' || raw.length === 0) return { ok: false, message: 'The model name must be a non-empty string.' };
  if (raw.length > 200) return { ok: false, message: 'The model name is too long (at most 200 characters).' };
  const lower = raw.toLowerCase();
  if (lower.includes('@')) return { ok: false, message: `Model references by digest (${raw}) are not accepted through Gatehouse; use the model's name.` };
  const { base, source } = sourceSuffix(lower);
  if (source !== null && sourceSuffix(base).source !== null) return { ok: false, message: `"${raw}" names two sources: use either :local or :cloud, not both.` };
  const slash = base.split('/');
  if (slash.length > 3) return { ok: false, message: `"${raw}" is not a model name.` };
  let model = slash.pop() as string;
  let tag: string | null = null;
  const colon = model.lastIndexOf(':');
  if (colon !== -1) {
    tag = model.slice(colon + 1);
    model = model.slice(0, colon);
  }
  const namespace = slash.pop() ?? DEFAULT_NAMESPACE;
  // https's own port names the same registry: `registry.ollama.ai:443` is `registry.ollama.ai`.
  const host = (slash.pop() ?? DEFAULT_HOST).replace(/:443$/, '');
  if (!PART.test(model) || (tag !== null && !PART.test(tag)) || !PART.test(namespace) || !HOST.test(host)) {
    return { ok: false, message: `"${raw}" is not a model name (letters, digits, ".", "_", "-", with optional namespace/ and :tag).` };
  }
  const cloud = source === 'cloud';
  // Cloud names as Ollama pulls them (toLegacyCloudPullName): `m:cloud`, or `m:tag-cloud`.
  const fullTag = cloud ? (tag === null ? 'cloud' : `${tag}-cloud`) : (tag ?? 'latest');
  const name = `${model}:${fullTag}`;
  const explicitHost = host === DEFAULT_HOST ? null : host;
  const canonical = explicitHost ? `${host}/${namespace}/${name}` : namespace !== DEFAULT_NAMESPACE ? `${namespace}/${name}` : name;
  return { ok: true, canonical, cloud: cloud || isCloudModel(canonical), host: explicitHost };
}

/**
 * Cloud models run on ollama.com on the owner's account (`gpt-oss:120b-cloud`, `…:cloud`). A model
 * whose own name ends in `-cloud` counts too: Ollama would not call it a cloud model by its name
 * alone, but refusing it without the cloud permission errs on the owner's side.
 */
export function isCloudModel(canonical: string): boolean {
  const colon = canonical.lastIndexOf(':');
  const tag = canonical.slice(colon + 1);
  const model = canonical.slice(0, colon);
  return tag === 'cloud' || tag.endsWith('-cloud') || model.endsWith('-cloud');
}
