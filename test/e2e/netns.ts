import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { CHROMIUM } from './browser';

export interface RemoteHost {
  /** The address of this computer on the private link (where gatehouse serve listens). */
  serverAddress: string;
  /** The other end, inside the namespace: how the "other computer" appears to the server. */
  clientAddress: string;
  /** A Chromium launcher that runs the browser inside the namespace, on the other computer. */
  chromium: string;
}

/**
 * A second computer, honestly: a network namespace joined to this one by a veth pair on a private
 * /30, so a browser started inside it reaches gatehouse serve from a real non-local address.
 * Returns the reason when this machine cannot make one (no root, no iproute2). Each suite in one
 * process takes its own `slot`.
 */
export function makeRemoteHost(dir: string, slot = 0): RemoteHost | string {
  const n = process.pid % 200;
  const ns = `gh-e2e-${process.pid}-${slot}`;
  const [host, peer] = [`ghh${process.pid % 100000}${slot}`, `ghp${process.pid % 100000}${slot}`];
  const net = `10.${213 + slot}.${n}`;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  try {
    ip('netns', 'add', ns);
  } catch (err) {
    return `cannot create a network namespace here (${(err as Error).message.split('\n')[0]}); it needs root and iproute2`;
  }
  after(() => {
    try {
      ip('link', 'del', host);
    } catch {
      /* gone with the namespace */
    }
    ip('netns', 'del', ns);
  });
  ip('link', 'add', host, 'type', 'veth', 'peer', 'name', peer);
  ip('link', 'set', peer, 'netns', ns);
  ip('addr', 'add', `${net}.1/30`, 'dev', host);
  ip('link', 'set', host, 'up');
  ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${net}.2/30`, 'dev', peer);
  ip('netns', 'exec', ns, 'ip', 'link', 'set', peer, 'up');
  ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
  const chromium = join(dir, `chromium-remote-${slot}`);
  writeFileSync(chromium, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM} "$@"\n`);
  chmodSync(chromium, 0o755);
  return { serverAddress: `${net}.1`, clientAddress: `${net}.2`, chromium };
}
