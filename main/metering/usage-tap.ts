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


const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const now = () => performance.now();

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
  // Responses put the total in the final `response.completed` event's response; Anthropic's
  // `message_start` has an estimate inside `message`, which is not read.
  const u = (obj.usage ?? (obj.type === 'response.completed' ? (obj.response as { usage?: unknown } | undefined)?.usage : undefined)) as Record<string, unknown> | undefined;
  // /v1/completions repeats a zeroed usage on every chunk once asked: a chunk that carries choices
  // is not the total, which comes last, with `choices: []` (or, Anthropic's, without choices).
  const perChunk = Array.isArray(obj.choices) && obj.choices.length > 0;
  if (u && typeof u === 'object' && !perChunk) {
    usage.promptTokens = num(u.prompt_tokens) ?? num(u.input_tokens) ?? 0;
    usage.completionTokens = num(u.completion_tokens) ?? num(u.output_tokens) ?? 0;
  }
  return obj;
}

/** Whether an SSE event's data is complete JSON (the first event of a tail may be cut). */
function isWholeEvent(event: string): boolean {
  const data = event.split('\n').find((l) => l.startsWith('data:'));
  if (!data) return false;
  try {
    JSON.parse(data.slice(5));
    return true;
  } catch {
    return false;
  }
}

/** The integer after the last `"field":` in `text`, or null. */
function lastNumber(text: string, field: string): number | null {
  const at = text.lastIndexOf(`"${field}":`);
  if (at === -1) return null;
  const n = parseInt(text.slice(at + field.length + 3, at + field.length + 23), 10);
  return Number.isFinite(n) ? n : null;
}

/**
 * The counts at the end of an answer, in whichever family's words: Ollama's `prompt_eval_count` /
 * `eval_count` (after the `context` array, however long), or the last `usage` object's
 * `prompt_tokens` / `completion_tokens` (OpenAI) or `input_tokens` / `output_tokens` (Anthropic,
 * Responses). Read by position, so an event or line larger than the tail still counts.
 */
function readCounts(usage: Usage, tail: string): boolean {
  let prompt = lastNumber(tail, 'prompt_eval_count');
  let completion = lastNumber(tail, 'eval_count');
  if (prompt === null && completion === null) {
    const at = tail.lastIndexOf('"usage":{');
    if (at === -1) return false;
    const object = tail.slice(at, at + 600);
    prompt = lastNumber(object, 'prompt_tokens') ?? lastNumber(object, 'input_tokens');
    completion = lastNumber(object, 'completion_tokens') ?? lastNumber(object, 'output_tokens');
    if (prompt === null && completion === null) return false;
  }
  usage.promptTokens = prompt ?? 0;
  usage.completionTokens = completion ?? 0;
  return true;
}

function readJsonTail(usage: Usage, tail: string): void {
  readCounts(usage, tail);
  if (/^\s*\{"(type":"error","error|error)":/.test(tail)) {
    try {
      usage.error = errorText((JSON.parse(tail) as { error: unknown }).error);
    } catch {
      /* not a whole error object */
    }
  }
}

/** The error recorded for a stream that ended without its family's last event. */
const truncated = (terminator: string) => `the stream ended before it was complete (no ${terminator})`;

/** How much of a response's end the reader keeps: Ollama's final object is well under this. */
const TAIL_BYTES = 8192;
const DONE_BYTES = Buffer.from('"done":true');

/**
 * Reads token counts from a response it is shown chunk by chunk, beside the stream rather than in
 * it: the bytes go to the client untouched and unheld. Per chunk it only counts and keeps a
 * reference; the parsing happens once, at the end, on the last few kilobytes, because
 * everything metering needs is there: Ollama's final metrics object or usage event, or the error
 * line that ends a failed stream. Pieces are counted as chunks (Ollama writes one line or event
 * per token), which is what an aborted stream is billed by.
 */
export class UsageReader implements UsageSource {
  readonly usage: Usage = { promptTokens: null, completionTokens: null, error: null };
  pieces = 0;
  bytesOut = 0;
  firstByteAt: number | undefined;
  private tail: Buffer[] = [];
  private head = 0;
  private tailBytes = 0;

  /** `terminator`: what a complete SSE stream of this route ends with (`[DONE]`, `message_stop`…). */
  constructor(
    private readonly kind: StreamKind,
    private readonly terminator?: string,
  ) {}

  observe(chunk: Buffer): void {
    if (this.pieces === 0) this.firstByteAt = now();
    this.pieces++;
    this.bytesOut += chunk.length;
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    // Drop from the front by moving an index (Array#shift would copy on every chunk).
    while (this.tailBytes - this.tail[this.head]!.length >= TAIL_BYTES) this.tailBytes -= this.tail[this.head++]!.length;
    if (this.head > 1024) {
      this.tail = this.tail.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Ollama's native stream ends with one line per chunk, the last carrying done:true and the
   * counts: when the last chunk starts a line and holds it, only that chunk is decoded, not the
   * whole tail (the common case, and most of what finishing a stream cost).
   */
  private finishFromLastChunk(): boolean {
    const last = this.tail.at(-1);
    if (this.kind !== 'ndjson' || !last || this.tail.length <= this.head || !last.includes(DONE_BYTES)) return false;
    const before = this.tail.length - 2 >= this.head ? this.tail[this.tail.length - 2] : undefined;
    if (before && before[before.length - 1] !== 0x0a) return false;
    for (const line of last.toString('utf8').split('\n')) if (line.includes('"done":true') || line.includes('"error"')) readNativeLine(this.usage, line);
    return this.usage.completionTokens !== null || this.usage.error !== null;
  }

  /** The response ended: read its end. */
  finish(): void {
    if (!this.finishFromLastChunk()) this.finishFromTail();
    // The final metrics line and an error line are pieces of the stream but not generated text.
    const notGenerated = (this.usage.completionTokens !== null ? 1 : 0) + (this.usage.error !== null ? 1 : 0);
    this.pieces = Math.max(0, this.pieces - notGenerated);
  }

  private finishFromTail(): void {
    const text = Buffer.concat(this.tail.slice(this.head)).toString('utf8');
    if (this.kind === 'json') return readJsonTail(this.usage, text);
    if (this.kind === 'ndjson') {
      // The final object has done:true, which no streamed piece has; so do error lines.
      if (text.includes('"done":true') || text.includes('"error"')) {
        for (const line of text.split('\n')) if (line.includes('"done":true') || line.includes('"error"')) readNativeLine(this.usage, line);
      }
      // A final line larger than the tail (a long `context` before the metrics) is read by position.
      if (this.usage.completionTokens === null && this.usage.error === null) readCounts(this.usage, text);
    } else if (this.kind === 'sse') {
      const events = text.split('\n\n');
      for (const event of events) readEvent(this.usage, event);
      // The tail may begin inside an event larger than itself (`response.completed` repeats the
      // whole output): its end, where the usage is, is read by position.
      if (this.usage.completionTokens === null && events[0] !== undefined && !isWholeEvent(events[0])) readCounts(this.usage, events[0]);
      if (this.terminator && !text.includes(this.terminator)) this.usage.error ??= truncated(this.terminator);
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
  private ended = false;
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly terminator = '[DONE]') {
    super();
  }

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
    if (!this.ended) this.usage.error ??= truncated(this.terminator);
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
      if (event.includes(this.terminator)) this.ended = true;
      const obj = readEvent(this.usage, event);
      if (obj ? Array.isArray(obj.choices) && obj.choices.length > 0 : event.includes('"choices":[{')) this.pieces++;
      if (obj?.usage && Array.isArray(obj.choices) && obj.choices.length === 0) continue; // the usage-only event
      out += obj?.usage ? event.replace(/,"usage":\{[^{}]*\}(?=\}\s*$)/, '') : event;
    }
    return out;
  }
}
