/**
 * The rules for what a token is and what its policy may say, written once: the contract checks
 * arguments with them, the token service checks what it stores with them, and the token format
 * mints and recognises secrets by them. Plain zod, no Node, so the renderer can use them too.
 */
import { z } from 'zod';

/** `gth_` + 43 base62 characters (256 random bits) + 6 base62 characters of CRC32. */
export const TOKEN_PREFIX = 'gth_';
export const TOKEN_BODY_LENGTH = 43;
export const TOKEN_CHECKSUM_LENGTH = 6;
export const TOKEN_LENGTH = TOKEN_PREFIX.length + TOKEN_BODY_LENGTH + TOKEN_CHECKSUM_LENGTH;
export const TOKEN_SHAPE = new RegExp(`^${TOKEN_PREFIX}[0-9A-Za-z]{${TOKEN_BODY_LENGTH + TOKEN_CHECKSUM_LENGTH}}$`);

export const SCOPES = ['inference', 'admin'] as const;
export const PRIORITIES = ['interactive', 'batch'] as const;
export const MAX_PATTERNS = 100;
/** How long a new token works when nobody says: the same for the CLI, the window and invites. */
export const DEFAULT_TOKEN_EXPIRY = '90d';
/** How long an invite link works when nobody says. */
export const DEFAULT_INVITE_LINK = '24h';
/** Each further * multiplies the work of matching a long name; three cover every real need. */
export const MAX_WILDCARDS = 3;

const shown = (v: unknown) => JSON.stringify(v);

/** A token secret as Gatehouse mints it (the checksum is checked where the secret is used). */
export const tokenSecret = z.string().regex(TOKEN_SHAPE, 'not a Gatehouse token (gth_…)');

const NAME_RULE = 'A token name must be 1 to 64 printable characters, for example "alice-laptop".';
// eslint-disable-next-line no-control-regex
export const tokenName = z.string({ error: NAME_RULE }).trim().min(1, NAME_RULE).max(64, NAME_RULE).regex(/^[^\u0000-\u001f\u007f]+$/, NAME_RULE);

export const tokenScope = z.enum(SCOPES, { error: (issue) => `The scope must be one of ${SCOPES.join(', ')}, not ${shown(issue.input)}.` });

/** A model name or a glob over names (`llama3.2`, `qwen*`), as allow and deny lists hold them. */
const modelPattern = (what: string) =>
  z
    .string({ error: (issue) => `${what}: ${shown(issue.input)} is not a model name or pattern (such as llama3.2 or qwen*).` })
    .trim()
    .refine((p) => p.length > 0 && p.length <= 200 && !/\s/.test(p), { error: (issue) => `${what}: ${shown(issue.input)} is not a model name or pattern (such as llama3.2 or qwen*).` })
    .refine((p) => (p.match(/\*/g)?.length ?? 0) <= MAX_WILDCARDS, {
      error: (issue) => `${what}: ${shown(issue.input)} has more than ${MAX_WILDCARDS} "*" wildcards; use fewer, such as qwen*:*b or *-instruct*.`,
    });

export const modelPatterns = (what: string) =>
  z.array(modelPattern(what), { error: `${what} must be a list of model names or patterns.` }).max(MAX_PATTERNS, `${what} may hold at most ${MAX_PATTERNS} patterns.`);

/** A per-token limit: a whole number, or null for none. */
export const tokenLimit = (what: string, max = 1_000_000) => {
  const error = (issue: { input?: unknown }) => `${what} must be a whole number above 0, not ${shown(issue.input)}.`;
  return z.number({ error }).int({ error }).min(1, { error }).max(max, { error }).nullable();
};

/** An ollama public key as pasted: the line of ~/.ollama/id_ed25519.pub (checked in full by main). */
export const ollamaKeyLine = z.string({ error: 'An ollama key is the line that ~/.ollama/id_ed25519.pub holds.' }).trim().min(1).max(500);

/** A token's policy fields, as every way of setting them takes them (absent: unchanged, or the default). */
export const tokenPolicyFields = {
  scope: tokenScope.optional(),
  allowModels: modelPatterns('Allowed models').optional(),
  denyModels: modelPatterns('Denied models').optional(),
  rpm: tokenLimit('Requests per minute').optional(),
  concurrency: tokenLimit('Concurrency').optional(),
  metrics: z.boolean().optional(),
  /** May use cloud models and web search/fetch (they run on the owner's ollama.com account). */
  cloud: z.boolean().optional(),
  /** May sign in to the web app Gatehouse guards. */
  web: z.boolean().optional(),
  weight: z.number({ error: (issue) => `The weight must be a number from 0.1 to 100, not ${shown(issue.input)}.` }).min(0.1, { error: 'The weight must be at least 0.1.' }).max(100, { error: 'The weight must be at most 100.' }).optional(),
  priority: z.enum(PRIORITIES, { error: (issue) => `The priority must be interactive or batch, not ${shown(issue.input)}.` }).optional(),
  queue: z.number({ error: (issue) => `The queue must be a whole number from 0 to 1000, not ${shown(issue.input)}.` }).int().min(0).max(1000).optional(),
  dailyTokens: tokenLimit('Tokens per day', 1e12).optional(),
  monthlyTokens: tokenLimit('Tokens per month', 1e12).optional(),
};

/** The local Ollama's name among the Ollama hosts (the upstream setting; it cannot be removed). */
export const LOCAL_UPSTREAM = 'local';
/** A host's name: what `--on` and the window call it. */
export const upstreamName = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a host name is 1 to 32 lowercase letters, digits and dashes, such as "closet" or "gpu-2"');
