import type { Server as NetServer, Socket } from 'node:net';

/** A TLS record starts with this byte (a handshake); an HTTP request with a letter of its method. */
const TLS_HANDSHAKE = 0x16;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The https:// address a plain request meant, when its request line and Host are plausible. */
function httpsUrlOf(head: string, port: number): string | null {
  const target = /^[A-Z]{3,10} (\/[^\s]*) HTTP\/1\.[01]\r?\n/.exec(head)?.[1];
  const host = /\r?\nhost:[ \t]*([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?[ \t]*\r?\n/i.exec(head)?.[1];
  if (!target || !host || target.length > 2000) return null;
  return `https://${host.toLowerCase()}:${port}${target}`;
}

/** The answer to plain HTTP on the TLS port: what happened and the address to use instead. */
export function plainHttpAnswer(head: string, port: number): string {
  const url = httpsUrlOf(head, port);
  const browser = /\r?\naccept:[^\r\n]*text\/html/i.test(head);
  const message = `Gatehouse speaks HTTPS here: use ${url ?? `https://<this computer>:${port}/`} (not http://). Your token was not accepted over plain HTTP.`;
  const body = browser
    ? `<!doctype html><meta charset="utf-8"><title>Use HTTPS</title><p>Gatehouse speaks HTTPS here.${url ? ` Open <a href="${escapeHtml(url)}">${escapeHtml(url)}</a> instead.` : ''}</p>\n`
    : `${JSON.stringify({ error: message })}\n`;
  return [
    'HTTP/1.1 400 Bad Request',
    `Content-Type: ${browser ? 'text/html' : 'application/json'}; charset=utf-8`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(url && browser ? [`Location: ${url}`] : []),
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * Ollama users type http:// out of habit, and a TLS server answers that with nothing at all. So the
 * first byte of each connection is looked at before the TLS server takes it: a TLS handshake goes
 * on as usual; anything else gets one plain answer saying to use https://, then the connection
 * closes. Nothing sent over plain HTTP is ever read as a request.
 */
export function answerPlainHttpOnTls(server: NetServer, port: () => number, firstByteTimeoutMs = 10_000): void {
  const tls = server.listeners('connection').find((l) => l.name === 'tlsConnectionListener') as ((socket: Socket) => void) | undefined;
  if (!tls) return; // another Node: keep its TLS server as it is
  server.removeListener('connection', tls);
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), firstByteTimeoutMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    socket.once('data', (first: Buffer) => {
      clearTimeout(timer);
      socket.pause();
      if (first[0] === TLS_HANDSHAKE) {
        socket.unshift(first);
        tls.call(server, socket);
        return;
      }
      socket.on('error', () => {});
      socket.end(plainHttpAnswer(first.toString('latin1', 0, 8192), port()));
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  });
}
