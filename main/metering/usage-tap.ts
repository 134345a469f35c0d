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

const NEWLINE = Buffer.from('\n');
const BLANK_LINE = Buffer.from('\n\n');
const DONE = Buffer.from('"done":true');
const NOT_DONE = Buffer.from('"done":false');
const CHOICE = Buffer.from('"choices":[{');
const USAGE = Buffer.from('"usage"');
const ERROR = Buffer.from('"error"');

function occurrences(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + needle.length)) count++;
  return count;
}

/** Non-streamed answers carry their metrics last (Go marshals them last): the tail is enough. */
const JSON_TAIL_BYTES = 8192;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function errorText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string') {
    return (value as { message: string }).message;
  }
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/**
 * Passes a response through while reading its token counts on the side. Bytes are never held back
 * (one exception below), so streaming stays streaming: NDJSON lines and SSE events are parsed only
 * when they can carry metrics or errors, and only after the chunk was passed on.
 *
 * The exception is `stripUsage`: when the gateway asked Ollama for OpenAI usage the client did not
 * ask for, SSE events are passed on whole (each is one write from Ollama, so nothing waits) minus
 * what the client would not have received: the usage-only event, and the zeroed `usage` field that
 * Ollama's /v1/completions then appends to every chunk.
 */
export class UsageTap extends Transform {
  readonly usage: Usage = { promptTokens: null, completionTokens: null, error: null };
  /** Generated pieces seen so far (Ollama streams about one token per piece): the count of an aborted stream. */
  pieces = 0;
  bytesOut = 0;
  firstByteAt: number | undefined;
  private carry = '';
  private pending: Buffer | undefined;
  private tail = Buffer.alloc(0);
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly kind: StreamKind,
    private readonly stripUsage: boolean,
    private readonly clock: () => number = performance.now.bind(performance),
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.firstByteAt ??= this.clock();
    if (this.kind === 'sse' && this.stripUsage) {
      this.carry += this.decoder.write(chunk);
      const end = this.carry.lastIndexOf('\n\n');
      if (end === -1) return callback();
      const events = this.carry.slice(0, end + 2);
      this.carry = this.carry.slice(end + 2);
      this.pushText(this.filterEvents(events));
      return callback();
    }
    this.bytesOut += chunk.length;
    callback(null, chunk);
    if (this.kind === 'ndjson' || this.kind === 'sse') this.scan(chunk, false);
    else if (this.kind === 'json') this.tail = Buffer.concat([this.tail, chunk]).subarray(-JSON_TAIL_BYTES);
  }

  override _flush(callback: TransformCallback): void {
    if (this.kind === 'sse' && this.stripUsage) this.pushText(this.filterEvents(this.carry + this.decoder.end()));
    else if (this.kind === 'ndjson' || this.kind === 'sse') this.scan(Buffer.alloc(0), true);
    else if (this.kind === 'json') this.readJsonTail(this.tail.toString('utf8'));
    callback();
  }

  /**
   * Looks at complete lines (NDJSON) or events (SSE) without decoding them unless a native search
   * finds a marker worth a parse; counts pieces the same way. Most chunks cost two byte searches.
   */
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
    const interesting = ndjson ? complete.includes(DONE) || complete.includes(ERROR) : complete.includes(USAGE) || complete.includes(ERROR);
    if (!interesting) return;
    const text = complete.toString('utf8');
    if (ndjson) {
      for (const line of text.split('\n')) if (line.includes('"done":true') || line.includes('"error"')) this.readNative(line);
    } else {
      for (const event of text.split('\n\n')) this.readEvent(event);
    }
  }

  private pushText(text: string): void {
    if (!text) return;
    const bytes = Buffer.from(text, 'utf8');
    this.bytesOut += bytes.length;
    this.push(bytes);
  }

  private readNative(text: string): void {
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (obj.error !== undefined) this.usage.error = errorText(obj.error);
    if (obj.done === true) {
      this.usage.promptTokens = num(obj.prompt_eval_count) ?? 0;
      this.usage.completionTokens = num(obj.eval_count) ?? 0;
    }
  }

  /** Reads one SSE event; returns its parsed data object when it has one. */
  private readEvent(event: string): Record<string, unknown> | undefined {
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
    if (obj.error !== undefined) this.usage.error = errorText(obj.error);
    const usage = obj.usage as Record<string, unknown> | undefined;
    // /v1/completions repeats a zeroed usage on every chunk; the real one comes last.
    if (usage && typeof usage === 'object') {
      this.usage.promptTokens = num(usage.prompt_tokens) ?? 0;
      this.usage.completionTokens = num(usage.completion_tokens) ?? 0;
    }
    return obj;
  }

  private filterEvents(text: string): string {
    let out = '';
    for (const event of text.split(/(?<=\n\n)/)) {
      const obj = this.readEvent(event);
      if (obj ? Array.isArray(obj.choices) && obj.choices.length > 0 : event.includes('"choices":[{')) this.pieces++;
      if (obj?.usage && Array.isArray(obj.choices) && obj.choices.length === 0) continue; // the usage-only event
      out += obj?.usage ? event.replace(/,"usage":\{[^{}]*\}(?=\}\s*$)/, '') : event;
    }
    return out;
  }

  private readJsonTail(tail: string): void {
    const last = (field: string) => {
      const matches = [...tail.matchAll(new RegExp(`"${field}":(\\d+)`, 'g'))];
      const m = matches[matches.length - 1];
      return m ? Number(m[1]) : null;
    };
    const prompt = last('prompt_eval_count') ?? last('prompt_tokens');
    const completion = last('eval_count') ?? last('completion_tokens');
    if (prompt !== null || completion !== null) {
      this.usage.promptTokens = prompt ?? 0;
      this.usage.completionTokens = completion ?? 0;
    }
    const error = /^\s*\{"error":(.*)\}\s*$/s.exec(tail);
    if (error) {
      try {
        this.usage.error = errorText(JSON.parse(error[1]!));
      } catch {
        /* not an error object after all */
      }
    }
  }
}
