import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';

export type StreamKind = 'ndjson' | 'sse' | 'json' | 'other';

export function streamKind(contentType: string | undefined): StreamKind {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-ndjson') return 'ndjson';
  if (type === 'text/event-stream') return 'sse';
  if (type === 'application/json') return 'json';
  return 'other';
}

export interface Usage {
  promptTokens: number | null;
  completionTokens: number | null;
  /** An error Ollama reported inside a 200 response (a mid-stream `{"error":…}`). */
  error: string | null;
}

/** What metering learns from a response, whichever way it was read. */
export interface UsageSource {
  readonly usage: Usage;
  /** Generated pieces seen (Ollama streams about one token per piece): the count of an aborted stream. */
  readonly pieces: number;
  readonly bytesOut: number;
  readonly firstByteAt: number | undefined;
}

const NEWLINE = Buffer.from('\n');
const BLANK_LINE = Buffer.from('\n\n');
const DONE = Buffer.from('"done":true');
const NOT_DONE = Buffer.from('"done":false');
const CHOICE = Buffer.from('"choices":[{');
const USAGE = Buffer.from('"usage"');
const ERROR = Buffer.from('"error"');
/** Non-streamed answers carry their metrics last (Go marshals them last): the tail is enough. */
const JSON_TAIL_BYTES = 8192;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const now = () => performance.now();

function occurrences(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + needle.length)) count++;
  return count;
}

function errorText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string') {
    return (value as { message: string }).message;
  }
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/** Reads one NDJSON line of Ollama's native API into `usage`. */
function readNativeLine(usage: Usage, line: string): void {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  if (obj.error !== undefined) usage.error = errorText(obj.error);
  if (obj.done === true) {
    usage.promptTokens = num(obj.prompt_eval_count) ?? 0;
    usage.completionTokens = num(obj.eval_count) ?? 0;
  }
}

/** Reads one SSE event into `usage`; returns its data object when it had usage or an error. */
function readEvent(usage: Usage, event: string): Record<string, unknown> | undefined {
  if (!event.includes('"usage"') && !event.includes('"error"')) return undefined;
  const data = event
    .split('\n')
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(5).trimStart())
    .join('\n');
  if (!data || data === '[DONE]') return undefined;
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (obj.error !== undefined) usage.error = errorText(obj.error);
  const u = obj.usage as Record<string, unknown> | undefined;
  // /v1/completions repeats a zeroed usage on every chunk once asked; the real one comes last.
  if (u && typeof u === 'object') {
    usage.promptTokens = num(u.prompt_tokens) ?? 0;
    usage.completionTokens = num(u.completion_tokens) ?? 0;
  }
  return obj;
}

function readJsonTail(usage: Usage, tail: string): void {
  const last = (field: string) => {
    const matches = [...tail.matchAll(new RegExp(`"${field}":(\\d+)`, 'g'))];
    const m = matches[matches.length - 1];
    return m ? Number(m[1]) : null;
  };
  const prompt = last('prompt_eval_count') ?? last('prompt_tokens');
  const completion = last('eval_count') ?? last('completion_tokens');
  if (prompt !== null || completion !== null) {
    usage.promptTokens = prompt ?? 0;
    usage.completionTokens = completion ?? 0;
  }
  const error = /^\s*\{"error":(.*)\}\s*$/s.exec(tail);
  if (error) {
    try {
      usage.error = errorText(JSON.parse(error[1]!));
    } catch {
      /* not an error object after all */
    }
  }
}

/**
 * Reads token counts from a response it is shown chunk by chunk, beside the stream rather than in
 * it: the bytes go to the client untouched and unheld. Lines (NDJSON) and events (SSE) are only
 * decoded when a byte search finds something worth a parse, so most chunks cost a few searches.
 */
export class UsageReader implements UsageSource {
  readonly usage: Usage = { promptTokens: null, completionTokens: null, error: null };
  pieces = 0;
  bytesOut = 0;
  firstByteAt: number | undefined;
  private pending: Buffer | undefined;
  private tail = Buffer.alloc(0);

  constructor(private readonly kind: StreamKind) {}

  observe(chunk: Buffer): void {
    this.firstByteAt ??= now();
    this.bytesOut += chunk.length;
    if (this.kind === 'ndjson' || this.kind === 'sse') this.scan(chunk, false);
    else if (this.kind === 'json') this.tail = Buffer.concat([this.tail, chunk]).subarray(-JSON_TAIL_BYTES);
  }

  /** The response ended: read what was left. */
  finish(): void {
    if (this.kind === 'ndjson' || this.kind === 'sse') this.scan(Buffer.alloc(0), true);
    else if (this.kind === 'json') readJsonTail(this.usage, this.tail.toString('utf8'));
  }

  private scan(chunk: Buffer, final: boolean): void {
    const ndjson = this.kind === 'ndjson';
    const data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const delimiter = ndjson ? NEWLINE : BLANK_LINE;
    const last = final ? data.length - delimiter.length : data.lastIndexOf(delimiter);
    if (last < 0) {
      this.pending = data.length ? data : undefined;
      return;
    }
    const end = final ? data.length : last + delimiter.length;
    const complete = data.subarray(0, end);
    this.pending = end < data.length ? data.subarray(end) : undefined;
    this.pieces += occurrences(complete, ndjson ? NOT_DONE : CHOICE);
    if (ndjson ? !complete.includes(DONE) && !complete.includes(ERROR) : !complete.includes(USAGE) && !complete.includes(ERROR)) return;
    const text = complete.toString('utf8');
    if (ndjson) {
      for (const line of text.split('\n')) if (line.includes('"done":true') || line.includes('"error"')) readNativeLine(this.usage, line);
    } else {
      for (const event of text.split('\n\n')) readEvent(this.usage, event);
    }
  }
}

/**
 * For an OpenAI stream whose usage the gateway asked for and the client did not: passes SSE events
 * on whole (each is one write from Ollama, so nothing waits) minus what the client would not have
 * received: the usage-only event, and the zeroed `usage` that /v1/completions then adds to each chunk.
 */
export class UsageStripper extends Transform implements UsageSource {
  readonly usage: Usage = { promptTokens: null, completionTokens: null, error: null };
  pieces = 0;
  bytesOut = 0;
  firstByteAt: number | undefined;
  private carry = '';
  private readonly decoder = new StringDecoder('utf8');

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.firstByteAt ??= now();
    this.carry += this.decoder.write(chunk);
    const end = this.carry.lastIndexOf('\n\n');
    if (end !== -1) {
      this.pushText(this.filterEvents(this.carry.slice(0, end + 2)));
      this.carry = this.carry.slice(end + 2);
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.pushText(this.filterEvents(this.carry + this.decoder.end()));
    callback();
  }

  private pushText(text: string): void {
    if (!text) return;
    const bytes = Buffer.from(text, 'utf8');
    this.bytesOut += bytes.length;
    this.push(bytes);
  }

  private filterEvents(text: string): string {
    let out = '';
    for (const event of text.split(/(?<=\n\n)/)) {
      const obj = readEvent(this.usage, event);
      if (obj ? Array.isArray(obj.choices) && obj.choices.length > 0 : event.includes('"choices":[{')) this.pieces++;
      if (obj?.usage && Array.isArray(obj.choices) && obj.choices.length === 0) continue; // the usage-only event
      out += obj?.usage ? event.replace(/,"usage":\{[^{}]*\}(?=\}\s*$)/, '') : event;
    }
    return out;
  }
}
