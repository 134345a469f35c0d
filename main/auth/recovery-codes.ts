import { randomInt } from 'node:crypto';
import { checkPassword, hashPassword } from './passwords';

/** Base32 without the letters people misread (i, l, o, u): what a person types back from paper. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const GROUPS = 4;
const GROUP_LENGTH = 5;

export interface StoredCode {
  /** The first group, in the clear: it finds the row, so a sign-in runs one slow hash, not ten. */
  id: string;
  hash: string;
}

/**
 * Ten codes like `3f9a1-c07be-12hk3-9d44f`: 100 random bits each, of which the 75 after the id are
 * the secret. Shown once; stored under scrypt, like the password.
 */
export async function newRecoveryCodes(count = 10): Promise<{ codes: string[]; stored: StoredCode[] }> {
  const codes = Array.from({ length: count }, () =>
    Array.from({ length: GROUPS }, () => Array.from({ length: GROUP_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')).join('-'),
  );
  const stored = await Promise.all(codes.map(async (code) => ({ id: idOf(code)!, hash: await hashPassword(normalise(code)) })));
  return { codes, stored };
}

/** What a person typed, as the code it was meant to be: case, spaces and dashes do not matter. */
function normalise(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

/** The id of a typed code, or null when it cannot be one of ours. */
export function idOf(typed: string): string | null {
  const code = normalise(typed);
  if (code.length !== GROUPS * GROUP_LENGTH || [...code].some((c) => !ALPHABET.includes(c))) return null;
  return code.slice(0, GROUP_LENGTH);
}

/** A hash no code matches, checked when the id is unknown so both cases take the same time. */
let decoy: Promise<string> | undefined;

/** Whether `typed` is the code stored as `hash` (undefined: no unused code has its id). */
export async function codeMatches(typed: string, hash: string | undefined): Promise<boolean> {
  decoy ??= hashPassword('no recovery code has this value');
  const matches = await checkPassword(normalise(typed), hash ?? (await decoy));
  return hash !== undefined && matches;
}
