import { randomBytes } from 'node:crypto';
import { sha256Hex } from './digest';
import { crc32 } from 'node:zlib';
import { TOKEN_BODY_LENGTH, TOKEN_CHECKSUM_LENGTH, TOKEN_LENGTH, TOKEN_PREFIX, TOKEN_SHAPE } from '../../preload/rules';

/**
 * API token format: `gth_` + 43 base62 characters (256 random bits) + 6 base62 characters of CRC32.
 * The prefix lets secret scanners and people recognise a Gatehouse token; the checksum lets the
 * gateway drop typos and garbage without a lookup. Base62 keeps the whole token one double-click word.
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = TOKEN_BODY_LENGTH;
const CHECKSUM_LENGTH = TOKEN_CHECKSUM_LENGTH;
const SHAPE = TOKEN_SHAPE;
export { TOKEN_LENGTH, TOKEN_PREFIX };

function base62(value: bigint, width: number): string {
  let out = '';
  while (value > 0n) {
    out = ALPHABET[Number(value % 62n)] + out;
    value /= 62n;
  }
  return out.padStart(width, '0');
}

function checksum(body: string): string {
  return base62(BigInt(crc32(body)), CHECKSUM_LENGTH);
}

export function mintToken(): string {
  const body = base62(BigInt(`0x${randomBytes(32).toString('hex')}`), BODY_LENGTH);
  return `${TOKEN_PREFIX}${body}${checksum(body)}`;
}

/** True when the string has the token's shape and its checksum matches. Says nothing of validity. */
export function isWellFormedToken(candidate: string): boolean {
  if (candidate.length !== TOKEN_LENGTH || !SHAPE.test(candidate)) return false;
  const body = candidate.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + BODY_LENGTH);
  return candidate.slice(-CHECKSUM_LENGTH) === checksum(body);
}

/** A Gatehouse token's shape (prefix, length, alphabet) whose checksum does not match: a typo. */
export function looksMistyped(candidate: string): boolean {
  return candidate.length === TOKEN_LENGTH && SHAPE.test(candidate) && !isWellFormedToken(candidate);
}

/** What the store keeps: a SHA-256 of a 256-bit random secret cannot be reversed or guessed. */
export function hashToken(token: string): string {
  return sha256Hex(token);
}

/** The last four characters, shown next to a token's name so a person can tell two apart. */
export function tokenHint(token: string): string {
  return token.slice(-4);
}

/** A short, non-secret fingerprint for logs: enough to correlate attempts, useless to an attacker. */
export function tokenFingerprint(candidate: string): string {
  return sha256Hex(candidate).slice(0, 12);
}
