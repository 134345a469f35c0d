import type { FastifyInstance } from 'fastify';
import { isOllamaKeyBlob, keyFingerprint } from '../auth/ollama-keys';
import { STATIC_PAGE_CSP } from './security-headers';

export const OLLAMA_KEY_PAGE = '/gatehouse/ollama-key';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** What each refusal means for the person at the ollama command, and what to do. */
const WHY: Record<string, string> = {
  unknown: 'This key belongs to no token on this Gatehouse yet.',
  stale: "The two computers' clocks differ by more than five minutes. Set the clock right on one of them (automatic time), then try again.",
  bad_signature: 'The signature did not match the request. Use the ollama command itself, unchanged, with OLLAMA_AUTH=1.',
  malformed: 'The request was not signed the way the ollama command signs it (OLLAMA_AUTH=1, a plain OLLAMA_HOST such as https://host:port).',
  revoked: 'The token this key belongs to was revoked.',
  expired: 'The token this key belongs to has expired.',
};

/**
 * Where a refused `ollama` command is sent. Ollama's CLI prints any 401 as "You need to be signed in
 * to Ollama", then this address (its signin_url), which `ollama signin` even opens: so the page
 * says what really happened and what to do. It shows only the public key it was given.
 */
export function ollamaKeyPage(app: FastifyInstance): void {
  app.get<{ Querystring: { key?: string; why?: string } }>(OLLAMA_KEY_PAGE, (request, reply) => {
    const blob = typeof request.query.key === 'string' ? request.query.key : '';
    const valid = isOllamaKeyBlob(blob);
    const why = WHY[typeof request.query.why === 'string' ? request.query.why : ''] ?? WHY.unknown!;
    const line = `ssh-ed25519 ${blob}`;
    const body = valid
      ? `<p>${escapeHtml(why)}</p>
<p>Key fingerprint: <code>${escapeHtml(keyFingerprint(blob))}</code></p>
<p>To use this Gatehouse from the <code>ollama</code> command, the owner enrols this key with your token. Send them this line (it is public):</p>
<pre>${escapeHtml(line)}</pre>
<p>They run: <code>gatehouse token update &lt;your token&gt; --ollama-key "${escapeHtml(line)}"</code>. Or paste the line on your invite page before you accept it.</p>`
      : '<p>This page explains why Gatehouse refused a request of the <code>ollama</code> command, but the link is incomplete.</p>';
    void reply
      .headers({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': STATIC_PAGE_CSP, 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' })
      .send(`<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>The ollama command and Gatehouse</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:8vh auto;padding:0 1rem}pre{white-space:pre-wrap;word-break:break-all}</style>
<h1>The ollama command was not let in</h1>
<p>Ollama said "You need to be signed in to Ollama": that is its message for any refusal. Gatehouse, which guards this Ollama, refused the request.</p>
${body}</html>
`);
  });
}
