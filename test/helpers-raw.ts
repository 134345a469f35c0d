import { connect as tlsConnect } from 'node:tls';
import { connect as netConnect } from 'node:net';

/**
 * Sends bytes exactly as given (no client library would send an absolute-form target or an
 * unnormalised path) and returns the status line and body of the answer.
 */
export function rawRequest(port: number, request: string, options: { tls?: boolean; ca?: string } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = options.tls === false
      ? netConnect({ host: '127.0.0.1', port })
      : tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ...(options.ca ? { ca: options.ca } : { rejectUnauthorized: false }) });
    const chunks: Buffer[] = [];
    socket.on(options.tls === false ? 'connect' : 'secureConnect', () => socket.write(request));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      const text = Buffer.concat(chunks).toString('utf8');
      const head = text.indexOf('\r\n\r\n');
      if (head === -1) return;
      const length = /content-length:\s*(\d+)/i.exec(text.slice(0, head))?.[1];
      if (length !== undefined && Buffer.byteLength(text.slice(head + 4)) >= Number(length)) socket.end();
    });
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
  });
}
