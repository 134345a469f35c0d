/**
 * Model names as Ollama resolves them: `[host/][namespace/]model[:tag]`, where the host defaults
 * to registry.ollama.ai, the namespace to `library` and the tag to `latest`. So `llama3.2`,
 * `library/llama3.2` and `registry.ollama.ai/library/llama3.2:latest` are one model, and an ACL
 * must treat them as one. Everything is compared in lower case, as Ollama matches names.
 */
export const DEFAULT_HOST = 'registry.ollama.ai';
export const DEFAULT_NAMESPACE = 'library';

// Host may carry a port; parts are the characters Ollama's name parser accepts.
const PART = /^[a-z0-9][a-z0-9._-]*$/;
const HOST = /^[a-z0-9][a-z0-9.-]*(:\d{1,5})?$/;

export type ParsedName = { ok: true; canonical: string } | { ok: false; message: string };

/**
 * The one spelling of a model name that ACL patterns are matched against: `model:tag` for the
 * default library, `namespace/model:tag` for other namespaces on ollama.com, and the full
 * `host/namespace/model:tag` elsewhere. Digest references and anything outside Ollama's name
 * alphabet are refused: they could name a model the patterns do not see.
 */
export function canonicalModelName(raw: unknown): ParsedName {
  if (typeof raw !== 'string' || raw.length === 0) return { ok: false, message: 'The model name must be a non-empty string.' };
  if (raw.length > 300) return { ok: false, message: 'The model name is too long.' };
  const name = raw.toLowerCase();
  if (name.includes('@')) return { ok: false, message: `Model references by digest (${raw}) are not accepted through Gatehouse; use the model's name.` };
  const slash = name.split('/');
  if (slash.length > 3) return { ok: false, message: `"${raw}" is not a model name.` };
  let last = slash.pop() as string;
  let tag = 'latest';
  const colon = last.lastIndexOf(':');
  if (colon !== -1) {
    tag = last.slice(colon + 1);
    last = last.slice(0, colon);
  }
  const namespace = slash.pop() ?? DEFAULT_NAMESPACE;
  const host = slash.pop() ?? DEFAULT_HOST;
  if (!PART.test(last) || !PART.test(tag) || !PART.test(namespace) || !HOST.test(host)) {
    return { ok: false, message: `"${raw}" is not a model name (letters, digits, ".", "_", "-", with optional namespace/ and :tag).` };
  }
  if (host !== DEFAULT_HOST) return { ok: true, canonical: `${host}/${namespace}/${last}:${tag}` };
  if (namespace !== DEFAULT_NAMESPACE) return { ok: true, canonical: `${namespace}/${last}:${tag}` };
  return { ok: true, canonical: `${last}:${tag}` };
}

/** Cloud models run on ollama.com on the owner's account (`gpt-oss:120b-cloud`, `…:cloud`). */
export function isCloudModel(canonical: string): boolean {
  const colon = canonical.lastIndexOf(':');
  const tag = canonical.slice(colon + 1);
  const model = canonical.slice(0, colon);
  return tag === 'cloud' || tag.endsWith('-cloud') || model.endsWith('-cloud');
}
