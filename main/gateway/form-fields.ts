import { Busboy } from '@fastify/busboy';

export type FormFields = { ok: true; fields: Map<string, string[]> } | { ok: false; message: string };

/** Part names Gatehouse reads as it knows them: a plain word, nothing a parser could decode two ways. */
const PLAIN_NAME = /^[A-Za-z0-9_.[\]-]{1,64}$/;
const MAX_FIELD_BYTES = 64 * 1024;

/**
 * The text fields of a multipart/form-data body (an audio upload), read once from the bytes that
 * will be forwarded; file contents are skipped as they are parsed, never copied. A part is a file
 * only when it has a filename, as Go's multipart reader (Ollama's) decides. Anything the two
 * parsers could read differently (an odd part name, a field too long to be one) is refused.
 */
export function readFormFields(body: Buffer, contentType: string | undefined): Promise<FormFields> {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) {
    return Promise.resolve({ ok: false, message: 'This request must be sent as multipart/form-data, with the audio file and a "model" field.' });
  }
  return new Promise((resolve) => {
    const fields = new Map<string, string[]>();
    const files = new Set<string>();
    let problem: string | null = null;
    const refuse = (message: string) => (problem ??= message);
    let parser: InstanceType<typeof Busboy>;
    try {
      parser = new Busboy({
        headers: { 'content-type': contentType },
        isPartAFile: (_name, _type, fileName) => fileName !== undefined,
        limits: { fieldSize: MAX_FIELD_BYTES, fields: 100, parts: 200, fieldNameSize: 200 },
      });
    } catch (err) {
      return resolve({ ok: false, message: `The form cannot be read: ${(err as Error).message}.` });
    }
    parser.on('field', (name: string, value: string, nameTruncated: boolean, valueTruncated: boolean) => {
      if (nameTruncated || !PLAIN_NAME.test(name)) return refuse(`The form has a part named "${name.slice(0, 40)}", which is not a plain field name.`);
      if (valueTruncated) return refuse(`The form field "${name}" is longer than ${MAX_FIELD_BYTES / 1024} KB.`);
      fields.set(name, [...(fields.get(name) ?? []), value]);
    });
    parser.on('file', (name: string, stream: NodeJS.ReadableStream) => {
      if (!PLAIN_NAME.test(name)) refuse(`The form has a part named "${name.slice(0, 40)}", which is not a plain field name.`);
      files.add(name);
      stream.resume();
    });
    parser.on('partsLimit', () => refuse('The form has too many parts.'));
    parser.on('fieldsLimit', () => refuse('The form has too many fields.'));
    parser.on('error', (err: Error) => resolve({ ok: false, message: `The form cannot be read: ${err.message}.` }));
    parser.on('finish', () => {
      for (const name of files) if (fields.has(name)) refuse(`The form gives "${name}" both as a file and as a field.`);
      resolve(problem ? { ok: false, message: problem } : { ok: true, fields });
    });
    parser.end(body);
  });
}
