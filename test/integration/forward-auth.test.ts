import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as netServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OllamaIdentity } from '../fixtures/ollama-signer';
import { bearer, call, eventually, startHarness, tempDir } from '../helpers';

const listenOn = (server: Server | ReturnType<typeof netServer>) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

describe('forward-auth: GET /gatehouse/v1/verify', async () => {
  const h = await startHarness({ overrides: { trustLoopback: true } });
  const alice = h.token('fa-alice');
  const ops = h.token('fa-ops', { scope: 'admin' });
  let address = 30;
  const verify = (headers: Record<string, string>) => call(`${h.url}/gatehouse/v1/verify`, { ca: h.ca!, headers, localAddress: `127.0.0.${++address}` });

  it('answers 200 with the token name and scope for a bearer token or X-Api-Key', async () => {
    for (const headers of [bearer(alice), { 'x-api-key': alice }]) {
      const res = await verify(headers);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers['x-gatehouse-token'], 'fa-alice');
      assert.equal(res.headers['x-gatehouse-scope'], 'inference');
      assert.equal(res.headers['cache-control'], 'no-store');
    }
  });

  it('answers 401 without a valid token, even from this computer with trustLoopback on', async () => {
    for (const headers of [{}, bearer('gth_not-a-token'), { 'x-gatehouse-token': 'fa-ops' }] as Array<Record<string, string>>) {
      const res = await verify(headers);
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.match(String(res.headers['www-authenticate']), /^Bearer/);
    }
  });

  it("applies Ollama's route scopes to the original request, from nginx's or Traefik's headers", async () => {
    const pull = { 'x-original-method': 'POST', 'x-original-uri': '/api/pull?x=1' };
    assert.equal((await verify({ ...bearer(alice), ...pull })).status, 403);
    assert.equal((await verify({ ...bearer(ops), ...pull })).status, 200);
    assert.equal((await verify({ ...bearer(alice), 'x-forwarded-method': 'DELETE', 'x-forwarded-uri': '/API/Delete/' })).status, 403, 'the canonical path decides');
    assert.equal((await verify({ ...bearer(alice), 'x-original-method': 'POST', 'x-original-uri': '/api/chat' })).status, 200);
    assert.equal((await verify({ ...bearer(alice), 'x-original-uri': '/some/other/app' })).status, 200, 'paths outside Ollama need only a valid token');
  });

  it('refuses original requests it cannot read with 403, whatever the token', async () => {
    for (const [method, uri] of [['POST', '/api/%70ull'], ['POST', '/api/../api/pull'], ['POST', 'http://evil.example/api/pull'], ['P OST', '/api/pull'], ['GET', '/api/pull%00']]) {
      const res = await verify({ ...bearer(ops), 'x-original-method': method!, 'x-original-uri': uri! });
      assert.equal(res.status, 403, `${method} ${uri}: ${res.text}`);
      assert.match(res.text, /cannot read|cannot be read/);
    }
  });

  it('checks an ollama signature against the original request, not the verify path', async () => {
    const key = new OllamaIdentity();
    h.core.tokens.create({ name: 'fa-signed', ollamaKeys: [key.line] });
    const signed = key.sign('POST', '/api/chat');
    await eventually(async () => (await verify({ ...signed.headers, 'x-original-method': 'POST', 'x-original-uri': signed.path })).status === 200, 3000, 'the signed original request to verify');
    assert.equal((await verify({ ...signed.headers, 'x-original-method': 'POST', 'x-original-uri': signed.path.replace('/api/chat', '/api/embed') })).status, 401);
  });

  it('answers 401 for a revoked token within a second, and 403 while remote access is paused', async () => {
    const bob = h.token('fa-bob');
    assert.equal((await verify(bearer(bob))).status, 200);
    h.core.tokens.revoke('fa-bob');
    await eventually(async () => (await verify(bearer(bob))).status === 401, 1000, 'the revocation');
    h.core.store.setSetting('paused', true, 'cli');
    await eventually(async () => (await verify(bearer(alice))).status === 403, 2000, 'the pause');
    h.core.store.setSetting('paused', false, 'cli');
    await eventually(async () => (await verify(bearer(alice))).status === 200, 2000, 'the resume');
  });
});

const missing = (command: string, version: string) => (process.env.CI || !spawnSync(command, [version]).error ? undefined : `${command} is not installed (Debian: apt-get install ${command})`);

/** A proxy's config for a listen port, the gateway's port, the app's port and the folder it may write. */
type ProxyConfig = (ports: { listen: number; gatehouse: number; app: number }, dir: string) => { file: string; text: string; command: string; args: string[] };

const nginx: ProxyConfig = ({ listen, gatehouse, app }, dir) => ({
  file: 'nginx.conf',
  command: 'nginx',
  args: ['-c', join(dir, 'nginx.conf'), '-p', dir],
  text: `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server {
    listen 127.0.0.1:${listen};
    location = /_gatehouse {
      internal;
      proxy_pass https://127.0.0.1:${gatehouse}/gatehouse/v1/verify;
      proxy_ssl_trusted_certificate ${dir}/ca.crt;
      proxy_ssl_verify on;
      proxy_ssl_name localhost;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
    }
    location / {
      auth_request /_gatehouse;
      auth_request_set $gatehouse_token $upstream_http_x_gatehouse_token;
      proxy_set_header X-Gatehouse-Token $gatehouse_token;
      proxy_pass http://127.0.0.1:${app};
    }
  }
}
`,
});

const caddy: ProxyConfig = ({ listen, gatehouse, app }, dir) => ({
  file: 'Caddyfile',
  command: 'caddy',
  args: ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'],
  text: `{
  admin off
  auto_https off
  storage file_system ${dir}/caddy
}
http://127.0.0.1:${listen} {
  forward_auth https://127.0.0.1:${gatehouse} {
    uri /gatehouse/v1/verify
    copy_headers X-Gatehouse-Token
    transport http {
      tls_trusted_ca_certs ${dir}/ca.crt
      tls_server_name localhost
    }
  }
  reverse_proxy 127.0.0.1:${app}
}
`,
});

for (const [name, config, versionFlag] of [['nginx', nginx, '-v'], ['caddy', caddy, 'version']] as const) {
  describe(`${name} in front of an app, asking the verify endpoint`, { skip: missing(name, versionFlag) }, async () => {
    const h = await startHarness();
    const token = h.token(`${name}-carol`);
    const app = createServer((req, res) => res.end(`app saw ${req.method} ${req.url} as ${String(req.headers['x-gatehouse-token'] ?? 'nobody')}`));
    const appPort = await listenOn(app);
    after(() => app.close());
    const probe = netServer();
    const port = await listenOn(probe);
    await new Promise((r) => probe.close(r));
    const dir = tempDir();
    writeFileSync(join(dir, 'ca.crt'), h.ca!);
    const proxy = config({ listen: port, gatehouse: h.info.port, app: appPort }, dir);
    writeFileSync(join(dir, proxy.file), proxy.text);
    let log = '';
    const child = spawn(proxy.command, proxy.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir } });
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    after(() => child.kill('SIGTERM'));
    const url = `http://127.0.0.1:${port}`;
    await eventually(async () => (await call(`${url}/`).catch(() => ({ status: 0 }))).status !== 0, 10_000, `${name} to listen`).catch((err: Error) => {
      throw new Error(`${err.message}:\n${log}`);
    });

    it('lets a valid token through to the app, which learns its name; refuses the rest', async () => {
      const ok = await call(`${url}/notes?id=3`, { headers: bearer(token) });
      assert.equal(ok.status, 200, `${ok.text}\n${log}`);
      assert.equal(ok.text, `app saw GET /notes?id=3 as ${name}-carol`);
      const spoofed = await call(`${url}/notes`, { headers: { ...bearer(token), 'x-gatehouse-token': 'someone-else' } });
      assert.equal(spoofed.text, `app saw GET /notes as ${name}-carol`, 'the proxy overwrites a spoofed identity');
      assert.equal((await call(`${url}/notes`)).status, 401);
      assert.equal((await call(`${url}/notes`, { headers: bearer('gth_wrong') })).status, 401);
      assert.equal((await call(`${url}/api/pull`, { headers: bearer(token), body: { model: 'x' } })).status, 403, 'an admin route of Ollama needs an admin token');
      h.core.tokens.revoke(`${name}-carol`);
      await eventually(async () => (await call(`${url}/notes`, { headers: bearer(token) })).status === 401, 1000, 'the revocation to reach the proxy');
    });
  });
}
