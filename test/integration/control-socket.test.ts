import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { controlSocketPath } from '../../main/control/socket-protocol';
import { startHarness, tempDir } from '../helpers';

const exec = promisify(execFile);
const CLI = 'out/cli/gatehouse.js';

async function gatehouse(...args: string[]) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], { env: { ...process.env, GATEHOUSE_PORT: '', GATEHOUSE_UPSTREAM: '' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Sends raw lines to the control socket and collects what comes back until it closes or goes quiet. */
function raw(path: string, data: string | Buffer, quietMs = 300): Promise<{ lines: string[]; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(path);
    let text = '';
    let closed = false;
    let timer: NodeJS.Timeout;
    const done = () => resolve({ lines: text.split('\n').filter(Boolean), closed });
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        socket.destroy();
        done();
      }, quietMs);
    };
    socket.on('data', (c: Buffer) => {
      text += c.toString();
      quiet();
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      closed = true;
      clearTimeout(timer);
      done();
    });
    socket.once('connect', () => {
      socket.write(data);
      quiet();
    });
  });
}

describe('the CLI talks to the running Gatehouse over its control socket', async () => {
  // Started with flags (port 0, the fake's upstream) that are in no stored setting: only the
  // running Gatehouse knows them.
  const h = await startHarness({ ollama: { manage: false, lanAddresses: () => [] } });
  const socketPath = controlSocketPath(h.dataDir);

  it('listens on a socket only this user may open', () => {
    assert.equal(statSync(socketPath).mode & 0o777, 0o600);
  });

  it('status reports the port and upstream the running Gatehouse uses, and which process it is', async () => {
    const res = await gatehouse('status', '--json', '--data-dir', h.dataDir);
    assert.equal(res.code, 0, res.stderr);
    const status = JSON.parse(res.stdout) as { gateway: string; address: string; upstream: string; runningAs: { pid: number; kind: string } };
    assert.equal(status.gateway, 'running (https)');
    assert.match(status.address, new RegExp(`:${h.info.port}$`));
    assert.equal(status.upstream, h.fake.url);
    assert.deepEqual([status.runningAs.pid, status.runningAs.kind], [process.pid, 'serve']);
  });

  it('models list asks the Ollama the running Gatehouse uses, and says whom it asked', async () => {
    const res = await gatehouse('models', 'list', '--json', '--data-dir', h.dataDir);
    assert.equal(res.code, 0, res.stderr);
    assert.ok((JSON.parse(res.stdout) as Array<{ name: string }>).length > 0);
    assert.match(res.stderr, new RegExp(`through the running Gatehouse: gatehouse serve, pid ${process.pid}`));
  });

  it('a pull streams its progress over the socket and is audited as the CLI\'s', async () => {
    const res = await gatehouse('models', 'pull', 'qwen3', '--data-dir', h.dataDir);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /100\.0%[\s\S]*Pulled qwen3\./);
    h.core.metering.flush();
    assert.ok(h.core.store.metering.auditSince(0).some((a) => a.action === 'model.pulled' && a.actor === 'cli' && a.target === 'qwen3'));
  });

  it('invite links carry the address the running Gatehouse really serves', async () => {
    const res = await gatehouse('invite', 'create', '--name', 'bob', '--json', '--data-dir', h.dataDir);
    assert.equal(res.code, 0, res.stderr);
    assert.match((JSON.parse(res.stdout) as { url: string }).url, new RegExp(`^https://127\\.0\\.0\\.1:${h.info.port}/invite/`));
    const own = await gatehouse('invite', 'create', '--name', 'carol', '--endpoint', `https://127.0.0.1:${h.info.port}`, '--data-dir', h.dataDir);
    assert.equal(own.code, 0, own.stderr);
  });

  it('a token made through the socket works on the gateway at once', async () => {
    const res = await gatehouse('token', 'create', '--name', 'via-socket', '--json', '--data-dir', h.dataDir);
    const { token } = JSON.parse(res.stdout) as { token: string };
    assert.equal(h.core.verifier.verify(token).ok, true);
  });

  it('answers garbage, unknown operations and oversized lines with a refusal, and runs nothing', async () => {
    const before = h.core.store.tokens.all().length;
    const garbage = await raw(socketPath, 'this is not json\n');
    assert.match(garbage.lines[0]!, /"ok":false.*not a Gatehouse control message/);
    assert.equal(garbage.closed, true);
    const unknown = await raw(socketPath, `${JSON.stringify({ id: 1, call: 'dropAllTables', args: {} })}\n`);
    assert.match(unknown.lines[0]!, /"id":1,"ok":false.*UNKNOWN_OPERATION/);
    const badArgs = await raw(socketPath, `${JSON.stringify({ id: 2, call: 'createToken', args: { name: '', scope: 'root' } })}\n`);
    assert.match(badArgs.lines[0]!, /"id":2,"ok":false.*BAD_USAGE/);
    const badEvent = await raw(socketPath, `${JSON.stringify({ id: 3, subscribe: ['../../etc'] })}\n`);
    assert.equal(badEvent.closed, true);
    const huge = await raw(socketPath, Buffer.alloc(400 * 1024, 'a'));
    assert.equal(huge.closed, true);
    assert.match(huge.lines[0] ?? '', /too large/);
    assert.equal(h.core.store.tokens.all().length, before, 'nothing was created');
  });
});

describe('the CLI without a running Gatehouse', () => {
  it('says nothing runs and how to start it, and still does what needs only the store', async () => {
    const dataDir = tempDir();
    const status = await gatehouse('status', '--data-dir', dataDir);
    assert.match(status.stdout, /Gateway: +not running[\s\S]*start it with: gatehouse serve/);
    const created = await gatehouse('token', 'create', '--name', 'offline', '--data-dir', dataDir);
    assert.equal(created.code, 0, created.stderr);
    assert.doesNotMatch(created.stderr, /through the running Gatehouse/);
  });
});
