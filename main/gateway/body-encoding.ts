import { Decompress } from 'fzstd';

export class BodyEncodingError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A request body as Ollama reads it: plain, or zstd-compressed (Ollama accepts `Content-Encoding:
 * zstd`, and Codex sends it). Decompressed here, so the model check reads the real JSON and Ollama
 * gets it plain; the size limit applies to what comes out, so a small bomb gets 413.
 */
export function decodeBody(body: Buffer, encoding: string | undefined, limitBytes: number): Buffer {
  const name = (encoding ?? '').trim().toLowerCase();
  if (name === '' || name === 'identity') return body;
  if (name !== 'zstd') throw new BodyEncodingError(415, `Gatehouse accepts request bodies plain or zstd-compressed, not "${name.slice(0, 40)}".`);
  if (body.length === 0) throw new BodyEncodingError(400, 'The request body says it is zstd-compressed, but it is empty.');
  const parts: Uint8Array[] = [];
  let size = 0;
  const stream = new Decompress((data) => {
    size += data.length;
    if (size > limitBytes) throw new BodyEncodingError(413, `The request body is larger than this Gatehouse accepts (${Math.round(limitBytes / 1048576)} MiB) once decompressed.`);
    parts.push(data);
  });
  try {
    // Fed in small pieces, so a frame that expands enormously is stopped after one block, not at the end.
    for (let i = 0; i < body.length; i += 16_384) stream.push(body.subarray(i, i + 16_384), i + 16_384 >= body.length);
  } catch (err) {
    if (err instanceof BodyEncodingError) throw err;
    throw new BodyEncodingError(400, 'The request body says it is zstd-compressed, but it is not valid zstd.');
  }
  return Buffer.concat(parts);
}
