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
  private tail = '';
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
    if (this.kind === 'ndjson') this.readLines(this.decoder.write(chunk), false);
    else if (this.kind === 'sse') this.readEvents(this.decoder.write(chunk), false);
    else if (this.kind === 'json') this.tail = (this.tail + this.decoder.write(chunk)).slice(-JSON_TAIL_BYTES);
  }

  override _flush(callback: TransformCallback): void {
    const rest = this.decoder.end();
    if (this.kind === 'sse' && this.stripUsage) this.pushText(this.filterEvents(this.carry + rest));
    else if (this.kind === 'ndjson') this.readLines(rest, true);
    else if (this.kind === 'sse') this.readEvents(rest, true);
    else if (this.kind === 'json') this.readJsonTail(this.tail + rest);
    callback();
  }

  private pushText(text: string): void {
    if (!text) return;
    const bytes = Buffer.from(text, 'utf8');
    this.bytesOut += bytes.length;
    this.push(bytes);
  }

  private readLines(text: string, final: boolean): void {
    this.carry += text;
    const lines = this.carry.split('\n');
    this.carry = final ? '' : (lines.pop() as string);
    for (const line of lines) {
      // Only the final object and error lines are worth a parse.
      if (line.includes('"done":true') || line.includes('"error"')) this.readNative(line);
      else if (line.includes('"done":false')) this.pieces++;
    }
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

  private readEvents(text: string, final: boolean): void {
    this.carry += text;
    const events = this.carry.split('\n\n');
    this.carry = final ? '' : (events.pop() as string);
    for (const event of events) this.countPiece(this.readEvent(event), event);
  }

  private countPiece(obj: Record<string, unknown> | undefined, event: string): void {
    if (obj ? Array.isArray(obj.choices) && obj.choices.length > 0 : event.includes('"choices":[{')) this.pieces++;
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
      this.countPiece(obj, event);
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
