/** What answers at the upstream: Ollama (with its version), something else, or nothing. */
export type UpstreamProbe = { kind: 'ollama'; version: string } | { kind: 'other'; detail: string } | { kind: 'none' };

/**
 * Asks `/api/version`. A refused connection means nothing listens; an answer that is not Ollama's
 * (or a listener that never answers) means the port is taken by something else.
 */
export async function probeUpstream(upstream: string, timeoutMs = 1500): Promise<UpstreamProbe> {
  try {
    const res = await fetch(`${upstream}/api/version`, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    try {
      const body = JSON.parse(text) as { version?: unknown };
      if (res.ok && typeof body.version === 'string') return { kind: 'ollama', version: body.version };
    } catch {
      /* not JSON: not Ollama */
    }
    return { kind: 'other', detail: `HTTP ${res.status}` };
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EADDRNOTAVAIL' || code === 'UND_ERR_SOCKET') return { kind: 'none' };
    if ((err as Error).name === 'TimeoutError') return { kind: 'other', detail: 'no answer' };
    return { kind: 'none' };
  }
}
