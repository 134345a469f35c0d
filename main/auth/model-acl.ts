import picomatch from 'picomatch';
import type { TokenRecord } from '../store/tokens-repo';
import { canonicalModelName, DEFAULT_HOST, DEFAULT_NAMESPACE, isCloudModel } from './model-names';

export type AclVerdict = { allowed: true } | { allowed: false; why: string };

export interface ModelAcl {
  check(canonical: string): AclVerdict;
  /** True when the token may use every local model (no allow list, no deny list). */
  readonly unrestricted: boolean;
  /** May use what runs on the owner's ollama.com account: cloud models, web search and fetch. */
  readonly cloud: boolean;
}

const GLOB = /[*?[\]{}!()+@]/;

/**
 * A pattern as the owner wrote it, in the canonical spelling: a plain name gets Ollama's defaults
 * (`llama3.2` means `llama3.2:latest`); a glob is lower-cased and loses the default host and
 * namespace prefixes, so `library/qwen*` and `qwen*` are the same pattern.
 */
export function canonicalPattern(pattern: string): string {
  if (!GLOB.test(pattern)) {
    const parsed = canonicalModelName(pattern);
    if (parsed.ok) return parsed.canonical;
  }
  let p = pattern.toLowerCase();
  if (p.startsWith(`${DEFAULT_HOST}/`)) p = p.slice(DEFAULT_HOST.length + 1);
  if (p.startsWith(`${DEFAULT_NAMESPACE}/`)) p = p.slice(DEFAULT_NAMESPACE.length + 1);
  return p;
}

export const CLOUD_REFUSAL = "a cloud model, which runs on the owner's ollama.com account; the token needs the cloud permission (gatehouse token update <name> --cloud)";

/**
 * Allow and deny patterns of one token. Deny wins (and matches the bare model name in any namespace
 * too); no allow list means every local model. Cloud models (which spend the owner's ollama.com
 * account) need the token's cloud permission as well, whatever the patterns say.
 */
export function compileAcl(allow: readonly string[], deny: readonly string[], cloud = false): ModelAcl {
  const allowPatterns = allow.map(canonicalPattern);
  const denyMatch = deny.length ? picomatch(deny.map(canonicalPattern), { nocase: true }) : undefined;
  const allowMatch = allowPatterns.length ? picomatch(allowPatterns, { nocase: true }) : undefined;
  return {
    unrestricted: !allow.length && !deny.length,
    cloud,
    check(canonical) {
      // Deny patterns also see the bare `model:tag`, so `qwen*` denies `hf.co/someone/qwen…` too.
      if (denyMatch && (denyMatch(canonical) || denyMatch(canonical.slice(canonical.lastIndexOf('/') + 1)))) {
        return { allowed: false, why: 'denied for this token' };
      }
      if (isCloudModel(canonical) && !cloud) return { allowed: false, why: CLOUD_REFUSAL };
      if (allowMatch && !allowMatch(canonical)) return { allowed: false, why: 'not in the models this token may use' };
      return { allowed: true };
    },
  };
}

const compiled = new WeakMap<TokenRecord, ModelAcl>();
/** The ACL of a request without a token (a trusted local client): local models only, no cloud. */
const LOCAL_TRUSTED_ACL: ModelAcl = compileAcl([], []);

/**
 * The compiled ACL of a token record (records are replaced when the store changes, so this never
 * goes stale); without a token, that of a trusted local client.
 */
export function aclFor(token: TokenRecord | undefined): ModelAcl {
  if (!token) return LOCAL_TRUSTED_ACL;
  let acl = compiled.get(token);
  if (!acl) {
    acl = compileAcl(token.allowModels, token.denyModels, token.cloud);
    compiled.set(token, acl);
  }
  return acl;
}
