import { GatehouseError } from '../errors';
import type { InstalledModel, RunningModel } from '../../preload/types';
export type { InstalledModel, RunningModel } from '../../preload/types';

/** One line of Ollama's pull progress, as it sends it. */
export interface PullStatus {
  status: string;
  digest?: string;
  total?: number;
  completed?: number;
}

/** The User-Agent of Gatehouse's own requests to Ollama. */
export const CONTROL_USER_AGENT = 'gatehouse-control';

interface TagsResponse {
  models?: Array<{ name: string; size: number; digest: string; modified_at?: string; remote_host?: string; details?: { family?: string; parameter_size?: string; quantization_level?: string } }>;
}

/**
 * A typed client of the local Ollama, for the window, the CLI and the supervisor (never for proxied
 * traffic). Every failure becomes a GatehouseError that says what happened: Ollama not running,
 * or Ollama's own error text.
 */
export class OllamaClient {
  constructor(
    private readonly baseUrl: () => string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async version(): Promise<string> {
    return (await this.json<{ version: string }>('GET', '/api/version')).version;
  }

  async tags(): Promise<InstalledModel[]> {
    const body = await this.json<TagsResponse>('GET', '/api/tags');
    return (body.models ?? []).map((m) => ({
      name: m.name,
      size: m.size,
      digest: m.digest,
      family: m.details?.family ?? null,
      parameterSize: m.details?.parameter_size ?? null,
      quantization: m.details?.quantization_level ?? null,
      modifiedAt: m.modified_at ?? null,
      remoteHost: m.remote_host ?? null,
    }));
  }

  async ps(): Promise<RunningModel[]> {
    const body = await this.json<{ models?: Array<{ name: string; size: number; size_vram?: number; expires_at?: string }> }>('GET', '/api/ps');
    return (body.models ?? []).map((m) => ({ name: m.name, size: m.size, sizeVram: m.size_vram ?? 0, expiresAt: m.expires_at ?? null }));
  }

  async show(model: string): Promise<Record<string, unknown>> {
    return this.json('POST', '/api/show', { model });
  }

  async delete(model: string): Promise<void> {
    await this.request('DELETE', '/api/delete', { model });
  }

  /**
   * Pulls a model, calling `onStatus` for every progress line in order. Aborting `signal` closes
   * the request, which makes Ollama stop the download (it resumes from the partial files later).
   */
  async pull(model: string, onStatus: (status: PullStatus) => void, signal?: AbortSignal): Promise<void> {
    const res = await this.request('POST', '/api/pull', { model, stream: true }, signal);
    if (!res.body) throw new GatehouseError('OLLAMA_BAD_ANSWER', 'Ollama answered the pull without a body.');
    const decoder = new TextDecoder();
    let carry = '';
    let last: PullStatus | undefined;
    for await (const chunk of res.body) {
      carry += decoder.decode(chunk as Uint8Array, { stream: true });
      const lines = carry.split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        const parsed = JSON.parse(line) as PullStatus & { error?: string };
        if (parsed.error) throw new GatehouseError('PULL_FAILED', `Ollama could not pull ${model}: ${parsed.error}`);
        last = parsed;
        onStatus(parsed);
      }
    }
    if (last?.status !== 'success') throw new GatehouseError('PULL_INCOMPLETE', `The pull of ${model} ended before Ollama reported success.`);
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.request(method, path, body)).json()) as T;
  }

  private async request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const url = `${this.baseUrl()}${path}`;
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        // Says that Gatehouse itself asks (its model list, the window's pulls), not a client through it.
        headers: { 'user-agent': CONTROL_USER_AGENT, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new GatehouseError('OLLAMA_UNREACHABLE', `Ollama is not reachable at ${this.baseUrl()}.`, 'Start Ollama, or check the upstream setting.', { cause: err });
    }
    if (!res.ok) {
      const text = await res.text();
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        /* plain text */
      }
      throw new GatehouseError('OLLAMA_ERROR', `Ollama answered ${res.status}: ${message}`);
    }
    return res;
  }
}
