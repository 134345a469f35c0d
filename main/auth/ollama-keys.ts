import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { UsageError } from '../errors';

/**
 * The `ollama` command signs its requests when OLLAMA_AUTH=1 is set (ollama/ollama api/client.go,
 * auth/auth.go): it adds `ts=<unix seconds>` to the query and sends
 * `Authorization: <public key>:<signature>`, where the public key is the base64 SSH wire format of
 * its ed25519 key (~/.ollama/id_ed25519) and the signature is the raw ed25519 signature, base64, of
 * `METHOD,PATH?ts=<ts>`. Enrolling that public key with a token makes signed requests that token's.
 */

const KEY_TYPE = 'ssh-ed25519';
/** The SSH wire format of an ed25519 public key: string "ssh-ed25519", string of 32 bytes. */
const WIRE_LENGTH = 4 + KEY_TYPE.length + 4 + 32;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** How far the signed time may be from this computer's clock. */
export const SIGNATURE_WINDOW_S = 300;

export interface OllamaKey {
  /** The base64 wire format, exactly as the key line and the Authorization header carry it. */
  blob: string;
  /** As `ssh-keygen -lf` prints it: SHA256:<base64 without padding>. */
  fingerprint: string;
  comment: string;
}

/** The raw 32-byte key in a base64 wire-format blob, or null when it is not an ed25519 key. */
function rawKeyOf(blob: string): Buffer | null {
  if (blob.length > 100 || !BASE64.test(blob)) return null;
  const wire = Buffer.from(blob, 'base64');
  if (wire.length !== WIRE_LENGTH || wire.toString('base64') !== blob) return null;
  if (wire.readUInt32BE(0) !== KEY_TYPE.length || wire.toString('latin1', 4, 4 + KEY_TYPE.length) !== KEY_TYPE) return null;
  if (wire.readUInt32BE(4 + KEY_TYPE.length) !== 32) return null;
  return wire.subarray(WIRE_LENGTH - 32);
}

/** Whether a base64 string is an ed25519 public key in SSH wire format (what .pub lines and signed headers carry). */
export const isOllamaKeyBlob = (blob: string): boolean => rawKeyOf(blob) !== null;

export function keyFingerprint(blob: string): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

const KEY_HINT = 'Paste the whole line that `cat ~/.ollama/id_ed25519.pub` prints on the computer that runs the ollama command (Windows: type %USERPROFILE%\\.ollama\\id_ed25519.pub).';

/** Reads an `ssh-ed25519 AAAA… comment` line (what ~/.ollama/id_ed25519.pub holds). */
export function parseOllamaKey(line: string): OllamaKey {
  const text = line.trim();
  if (text.length > 500) throw new UsageError('That is too long to be an ollama public key.', KEY_HINT);
  const [type, blob, ...comment] = text.split(/\s+/);
  if (type !== KEY_TYPE || !blob) {
    const secret = /PRIVATE KEY/.test(text);
    throw new UsageError(secret ? 'That is a private key: never share it. The public key is the .pub file beside it.' : 'That is not an ollama public key (a line starting with ssh-ed25519).', KEY_HINT);
  }
  if (!rawKeyOf(blob)) throw new UsageError('That ssh-ed25519 key is damaged: it was not copied whole.', KEY_HINT);
  // eslint-disable-next-line no-control-regex
  return { blob, fingerprint: keyFingerprint(blob), comment: comment.join(' ').replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 100) };
}

export interface SignedCredential {
  blob: string;
  signature: Buffer;
}

/** The key and signature of an ollama-signed Authorization header, or null when it is not one. */
export function signedCredentialFrom(authorization: string | undefined): SignedCredential | null {
  if (!authorization || authorization.length > 300) return null;
  const colon = authorization.indexOf(':');
  if (colon < 0 || authorization.indexOf(':', colon + 1) >= 0) return null;
  const blob = authorization.slice(0, colon);
  const signature = authorization.slice(colon + 1);
  if (!rawKeyOf(blob) || !BASE64.test(signature)) return null;
  const bytes = Buffer.from(signature, 'base64');
  return bytes.length === 64 ? { blob, signature: bytes } : null;
}

export type SignedTarget = { ok: true; challenges: string[]; ts: number } | { ok: false; problem: 'stale' | 'malformed'; message: string };

/**
 * What the client must have signed for this request: `METHOD,PATH?ts=T` (the ollama client), or
 * the path with its whole query (ollama's cloud proxy form), where PATH is the canonical path and
 * the request's own path must be written exactly so.
 */
export function signedTarget(method: string, rawUrl: string, canonicalPath: string, nowMs: number): SignedTarget {
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? '' : rawUrl.slice(q + 1);
  if (path !== canonicalPath) return { ok: false, problem: 'malformed', message: 'A signed request must use the plain path (no escapes, no doubled or trailing slashes).' };
  const stamps = new URLSearchParams(query).getAll('ts');
  if (stamps.length !== 1 || !/^\d{1,12}$/.test(stamps[0]!)) {
    return { ok: false, problem: 'malformed', message: 'A signed request needs one ts=<unix seconds> in its query; the ollama command adds it with OLLAMA_AUTH=1.' };
  }
  const ts = Number(stamps[0]);
  const skew = ts - Math.floor(nowMs / 1000);
  if (Math.abs(skew) > SIGNATURE_WINDOW_S) {
    return { ok: false, problem: 'stale', message: `The signed request's time is ${Math.abs(skew)} s ${skew < 0 ? 'behind' : 'ahead of'} this computer's clock (at most ${SIGNATURE_WINDOW_S} s): set the clock of one of the two computers right.` };
  }
  const challenges = [`${method},${path}?ts=${stamps[0]}`];
  if (query !== `ts=${stamps[0]}`) challenges.push(`${method},${path}?${query}`);
  return { ok: true, challenges, ts };
}

/** Verifies ed25519 signatures, keeping one KeyObject per enrolled key. */
export class SignatureChecker {
  private readonly keys = new Map<string, KeyObject>();

  verify(credential: SignedCredential, challenges: string[]): boolean {
    let key = this.keys.get(credential.blob);
    if (!key) {
      const raw = rawKeyOf(credential.blob);
      if (!raw) return false;
      key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
      if (this.keys.size >= 10_000) this.keys.clear();
      this.keys.set(credential.blob, key);
    }
    return challenges.some((c) => verify(null, Buffer.from(c), key, credential.signature));
  }
}
