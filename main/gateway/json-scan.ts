/**
 * A bounded, single-pass reading of a JSON request body: checks its structure, finds the
 * top-level keys with where each value lies, and parses nothing else. Deciding a request's models
 * must not cost a full parse: a 32 MiB body of nested arrays took seconds of CPU and gigabytes of
 * memory through JSON.parse. Strings are skipped with a native search for the closing quote, and
 * nesting deeper than a limit is refused, so the cost is linear and the memory constant.
 *
 * The top level is checked strictly (strings, colons, commas, one object), and nested values by
 * their brackets and string boundaries, so the keys found are the keys Go's decoder in Ollama will
 * see; what is not checked here (number syntax, escapes, commas inside nested values) makes Ollama
 * refuse the whole body, never read it otherwise.
 */

export interface Entry {
  key: string;
  /** Where the value starts and ends (exclusive) in the body. */
  start: number;
  end: number;
}

export interface TopLevel {
  entries: Entry[];
  /** The index of the top-level object's closing brace. */
  close: number;
}

export type Scan = { ok: true; top: TopLevel } | { ok: false; message: string };

export const MAX_DEPTH = 128;
const MAX_TOP_LEVEL_KEYS = 10_000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

class ScanError extends Error {}

function fail(message: string): never {
  throw new ScanError(message);
}

function skipWhitespace(buf: Buffer, i: number): number {
  while (i < buf.length) {
    const c = buf[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
  return i;
}

/** `i` is at an opening quote; returns the index after the closing one. */
function skipString(buf: Buffer, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = buf.indexOf(QUOTE, j);
    if (q === -1) fail('The request body has a string that never ends.');
    let slashes = 0;
    while (buf[q - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

function skipLiteral(buf: Buffer, i: number, word: string): number {
  if (buf.toString('latin1', i, i + word.length) !== word) fail('The request body is not valid JSON.');
  return i + word.length;
}

function skipNumber(buf: Buffer, i: number): number {
  let j = i;
  while (j < buf.length) {
    const c = buf[j]!;
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45) j++;
    else break;
  }
  if (j === i) fail('The request body is not valid JSON.');
  return j;
}

/** Skips one value (of any kind) starting at `i`; returns the index after it. */
function skipValue(buf: Buffer, i: number): number {
  const c = buf[i];
  if (c === QUOTE) return skipString(buf, i);
  if (c === 0x7b || c === 0x5b) return skipContainer(buf, i);
  if (c === 0x74) return skipLiteral(buf, i, 'true');
  if (c === 0x66) return skipLiteral(buf, i, 'false');
  if (c === 0x6e) return skipLiteral(buf, i, 'null');
  if (c === undefined) fail('The request body ends in the middle of a value.');
  return skipNumber(buf, i);
}

/** Byte classes for the container loop: 1 a quote, 2 an opening bracket, 3 a closing one. */
const CLASS = new Uint8Array(256);
CLASS[QUOTE] = 1;
CLASS[0x5b] = CLASS[0x7b] = 2;
CLASS[0x5d] = CLASS[0x7d] = 3;

/**
 * Skips a nested object or array: only its brackets and string boundaries matter to where it ends,
 * so one tight loop does it (a malformed inside makes Ollama refuse the body, never misread keys).
 */
function skipContainer(buf: Buffer, i: number): number {
  let depth = 0;
  const n = buf.length;
  while (i < n) {
    const kind = CLASS[buf[i]!];
    if (kind === 0) {
      i++;
    } else if (kind === 1) {
      i = skipString(buf, i);
    } else if (kind === 2) {
      if (++depth >= MAX_DEPTH) fail(`The request body nests deeper than ${MAX_DEPTH} levels.`);
      i++;
    } else {
      i++;
      if (--depth === 0) return i;
    }
  }
  return fail('The request body ends before all its brackets are closed.');
}

function keyText(buf: Buffer, start: number, end: number): string {
  const inner = buf.toString('utf8', start + 1, end - 1);
  return inner.includes('\\') ? (JSON.parse(buf.toString('utf8', start, end)) as string) : inner;
}

/** Reads the top level of a JSON object body. */
export function scanObject(buf: Buffer): Scan {
  try {
    let i = skipWhitespace(buf, 0);
    if (buf[i] !== 0x7b) return { ok: false, message: 'The request body must be a JSON object.' };
    const entries: Entry[] = [];
    i = skipWhitespace(buf, i + 1);
    if (buf[i] !== 0x7d) {
      for (;;) {
        if (buf[i] !== QUOTE) fail('The request body is not valid JSON (an object key must be a string).');
        const keyEnd = skipString(buf, i);
        const key = keyText(buf, i, keyEnd);
        i = skipWhitespace(buf, keyEnd);
        if (buf[i] !== 0x3a) fail('The request body is not valid JSON (":" expected).');
        const start = skipWhitespace(buf, i + 1);
        const end = skipValue(buf, start);
        entries.push({ key, start, end });
        if (entries.length > MAX_TOP_LEVEL_KEYS) fail('The request body has too many fields.');
        i = skipWhitespace(buf, end);
        if (buf[i] === 0x7d) break;
        if (buf[i] !== 0x2c) fail('The request body is not valid JSON ("," expected).');
        i = skipWhitespace(buf, i + 1);
      }
    }
    const close = i;
    if (skipWhitespace(buf, close + 1) !== buf.length) return { ok: false, message: 'The request body must be one JSON object, with nothing after it.' };
    return { ok: true, top: { entries, close } };
  } catch (err) {
    if (err instanceof ScanError) return { ok: false, message: err.message };
    if (err instanceof SyntaxError) return { ok: false, message: 'The request body is not valid JSON.' };
    throw err;
  }
}

/** Values larger than this are not parsed: no field Gatehouse reads is ever that long. */
const MAX_FIELD_BYTES = 64 * 1024;

/** The parsed value of one entry (a model name, a flag): small values only. */
export function valueOf(buf: Buffer, entry: Entry): unknown {
  if (entry.end - entry.start > MAX_FIELD_BYTES) return UNREAD;
  try {
    return JSON.parse(buf.toString('utf8', entry.start, entry.end));
  } catch {
    return UNREAD;
  }
}

/** A value too large or malformed to read: equal to nothing a field may hold, so every check refuses it. */
const UNREAD = Symbol('unread');
