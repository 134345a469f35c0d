import type { Snippet } from './types';

export interface SnippetInput {
  /** `https://host:port`, no trailing slash. */
  endpoint: string;
  token: string;
  model: string;
  /** True when the client must trust Gatehouse's own CA (saved as gatehouse-ca.crt beside the code). */
  localCa: boolean;
}

const CA_FILE = 'gatehouse-ca.crt';

/**
 * Copy-paste snippets that work unchanged for each common client: the endpoint, the token, a model
 * the token may use, and (with the local CA) the one setting that makes the client trust it.
 */
// eslint-disable-next-line max-lines-per-function -- one template per client, read top to bottom
export function clientSnippets({ endpoint, token, model, localCa }: SnippetInput): Snippet[] {
  const js = JSON.stringify;
  const nodeCa = localCa ? `NODE_EXTRA_CA_CERTS=${CA_FILE} ` : '';
  return [
    {
      client: 'curl',
      language: 'sh',
      code: `curl ${localCa ? `--cacert ${CA_FILE} ` : ''}${endpoint}/api/chat \\
  -H 'Authorization: Bearer ${token}' \\
  -d '{"model": ${js(model)}, "messages": [{"role": "user", "content": "Hello!"}], "stream": false}'`,
    },
    {
      client: 'ollama (JavaScript)',
      language: 'js',
      code: `// npm install ollama${localCa ? `\n// run with: ${nodeCa}node app.mjs` : ''}
import { Ollama } from 'ollama';

const ollama = new Ollama({ host: ${js(endpoint)}, headers: { Authorization: 'Bearer ${token}' } });
const reply = await ollama.chat({ model: ${js(model)}, messages: [{ role: 'user', content: 'Hello!' }] });
console.log(reply.message.content);`,
    },
    {
      client: 'ollama (Python)',
      language: 'python',
      code: `# pip install ollama
from ollama import Client

client = Client(host=${js(endpoint)}, headers={'Authorization': 'Bearer ${token}'}${localCa ? `, verify='${CA_FILE}'` : ''})
reply = client.chat(model=${js(model)}, messages=[{'role': 'user', 'content': 'Hello!'}])
print(reply.message.content)`,
    },
    {
      client: 'OpenAI SDK (JavaScript)',
      language: 'js',
      code: `// npm install openai${localCa ? `\n// run with: ${nodeCa}node app.mjs` : ''}
import OpenAI from 'openai';

const openai = new OpenAI({ baseURL: ${js(`${endpoint}/v1`)}, apiKey: '${token}' });
const reply = await openai.chat.completions.create({ model: ${js(model)}, messages: [{ role: 'user', content: 'Hello!' }] });
console.log(reply.choices[0].message.content);`,
    },
    {
      client: 'OpenAI SDK (Python)',
      language: 'python',
      code: `# pip install openai
from openai import ${localCa ? 'DefaultHttpxClient, ' : ''}OpenAI

client = OpenAI(base_url=${js(`${endpoint}/v1`)}, api_key='${token}'${localCa ? `, http_client=DefaultHttpxClient(verify='${CA_FILE}')` : ''})
reply = client.chat.completions.create(model=${js(model)}, messages=[{'role': 'user', 'content': 'Hello!'}])
print(reply.choices[0].message.content)`,
    },
    ollamaCommandSnippet(endpoint, model, localCa),
    {
      client: 'Anthropic SDK (Python)',
      language: 'python',
      code: `# pip install anthropic
import anthropic

client = anthropic.Anthropic(base_url=${js(endpoint)}, api_key='${token}'${localCa ? `, http_client=anthropic.DefaultHttpxClient(verify='${CA_FILE}')` : ''})
reply = client.messages.create(model=${js(model)}, max_tokens=1024, messages=[{'role': 'user', 'content': 'Hello!'}])
print(reply.content[0].text)`,
    },
    {
      client: 'Open WebUI',
      language: 'sh',
      code: `docker run -d -p 3000:8080 --name open-webui \\
  -e OPENAI_API_BASE_URL=${endpoint}/v1 \\
  -e OPENAI_API_KEY=${token} \\
  -e ENABLE_OLLAMA_API=false \\${localCa ? `
  -e SSL_CERT_FILE=/${CA_FILE} -v "$PWD/${CA_FILE}:/${CA_FILE}:ro" \\` : ''}
  -v open-webui:/app/backend/data ghcr.io/open-webui/open-webui:main`,
    },
    {
      client: 'Continue (config.yaml)',
      language: 'yaml',
      code: `models:
  - name: ${model} on Gatehouse
    provider: ollama
    model: ${model}
    apiBase: ${endpoint}
    apiKey: ${token}${localCa ? `
    requestOptions:
      caBundlePath: /path/to/${CA_FILE}` : ''}`,
    },
  ];
}

/**
 * The ollama command itself: it cannot send a token, but with OLLAMA_AUTH=1 it signs each request
 * with its own key, which acts as the token once enrolled. Go's TLS uses the system's trust store
 * (SSL_CERT_FILE only on Linux), so the CA step differs per OS.
 */
function ollamaCommandSnippet(endpoint: string, model: string, localCa: boolean): Snippet {
  const run = `OLLAMA_HOST=${endpoint} OLLAMA_AUTH=1 ollama run ${model}`;
  const lines = [
    '# Once: your ollama key must belong to your token. Paste it when you accept an invite, or',
    '# send it to the owner of this Gatehouse (it is public): cat ~/.ollama/id_ed25519.pub',
    '',
    ...(localCa
      ? [
          '# Linux:',
          `SSL_CERT_FILE=${CA_FILE} ${run}`,
          '',
          '# macOS: trust the CA once, then run',
          `sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${CA_FILE}`,
          run,
          '',
          '# Windows (PowerShell): trust the CA once, then run',
          `certutil -user -addstore Root ${CA_FILE}`,
          `$env:OLLAMA_HOST="${endpoint}"; $env:OLLAMA_AUTH="1"; ollama run ${model}`,
        ]
      : ['# macOS, Linux:', run, '', '# Windows (PowerShell):', `$env:OLLAMA_HOST="${endpoint}"; $env:OLLAMA_AUTH="1"; ollama run ${model}`]),
  ];
  return { client: 'ollama command', language: 'sh', code: lines.join('\n') };
}

/**
 * What the QR code holds: the endpoint, with the token and the CA fingerprint in the fragment, which
 * browsers and scanners never send to a server, so opening it by mistake leaks nothing to a log.
 */
export function sharePayload(endpoint: string, token: string, caFingerprint: string | null): string {
  const params = new URLSearchParams({ token });
  if (caFingerprint) params.set('ca-sha256', caFingerprint.replace(/:/g, '').toLowerCase());
  return `${endpoint}/#${params.toString()}`;
}
