import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generate } from 'otplib';
import { adminCommand } from '../../main/cli/admin';
import { webappCommand } from '../../main/cli/webapp';
import { inviteCommand } from '../../main/cli/invite';
import { Store } from '../../main/store/store';
import { tempDir } from '../helpers';

describe('gatehouse admin and gatehouse invite', () => {
  const dataDir = tempDir();
  const out: string[] = [];
  const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };

  it('enable-remote asks for the password twice, shows the authenticator QR and secret, checks a code, prints recovery codes', async () => {
    const answers: string[] = [];
    const prompt = async (question: string) => {
      answers.push(question);
      if (/password|Once more/i.test(question)) return 'lantern-orchard-violet-7';
      const secret = /Or type the secret: (\S+)/.exec(out.join('\n'))![1]!;
      return generate({ secret });
    };
    assert.equal(await adminCommand(['enable-remote', '--data-dir', dataDir], io, prompt), 0);
    const text = out.join('\n');
    assert.match(text, /Scan this with an authenticator app/);
    assert.match(text, /▄|█/, 'a QR code drawn on the terminal');
    assert.equal(text.match(/^ {2}[0-9a-z]{5}(-[0-9a-z]{5}){3}$/gm)?.length, 10, 'ten recovery codes of 100 bits each');
    assert.equal(answers.length, 3);
    const store = Store.open(dataDir);
    assert.equal(store.settings.load().settings.remoteAdmin, true);
    assert.equal(store.metering.auditSince(0).find((a) => a.action === 'admin.remote_enabled')?.actor, 'cli');
    store.close();
  });

  it('refuses two different passwords and changes nothing', async () => {
    const other = tempDir();
    let n = 0;
    await assert.rejects(adminCommand(['enable-remote', '--data-dir', other], io, () => Promise.resolve(++n === 1 ? 'lantern-orchard-violet-7' : 'something-else-entirely-9')), /differ/);
  });

  it('creates, lists and revokes invites', async () => {
    out.length = 0;
    assert.equal(await inviteCommand(['create', '--name', 'bob', '--models', 'llama3.2', '--rpm', '20', '--link-expires', '48h', '--expires', 'never', '--endpoint', 'https://localhost:11443', '--json', '--data-dir', dataDir], io), 0);
    const { id, url, expiresAt } = JSON.parse(out.at(-1)!) as { id: string; url: string; expiresAt: string };
    assert.match(url, new RegExp(`^https://localhost:11443/invite/${id}#`));
    assert.ok(Math.abs(Date.parse(expiresAt) - (Date.now() + 48 * 3_600_000)) < 60_000, expiresAt);
    out.length = 0;
    await inviteCommand(['list', '--data-dir', dataDir], io);
    assert.match(out.join('\n'), new RegExp(`${id}\\s+bob\\s+pending`));
    await inviteCommand(['revoke', id, '--data-dir', dataDir], io);
    assert.match(out.at(-1)!, /withdrawn/);
    await assert.rejects(inviteCommand(['create', '--name', 'x', '--endpoint', 'https://evil.example', '--data-dir', dataDir], io), /not an address this Gatehouse serves/);
  });

  it('prints an invite on lines of its own, with no escaped \\n in the text', async () => {
    out.length = 0;
    await inviteCommand(['create', '--name', 'carol', '--endpoint', 'https://localhost:11443', '--data-dir', dataDir], io);
    const text = out.join('\n');
    assert.ok(!text.includes('\\n'), text);
    assert.match(text, /good once:\n\n {2}https:\/\/localhost:11443\/invite\//);
  });

  it('sets, shows and turns off the web app gate', async () => {
    out.length = 0;
    assert.equal(await webappCommand(['set', '--upstream', 'http://127.0.0.1:3000', '--trusted-header', 'email', '--data-dir', dataDir], io), 0);
    assert.match(out.join('\n'), /WEBUI_AUTH_TRUSTED_EMAIL_HEADER=X-Trusted-User-Email/);
    await assert.rejects(webappCommand(['set', '--upstream', 'http://127.0.0.1:3000/app', '--data-dir', dataDir], io), /without a path/);
    await assert.rejects(webappCommand(['set', '--upstream', 'http://127.0.0.1:3000', '--trusted-header', 'everyone', '--data-dir', dataDir], io), /off, email or name/);
    out.length = 0;
    await webappCommand(['status', '--json', '--data-dir', dataDir], io);
    assert.deepEqual(JSON.parse(out.at(-1)!), { upstream: 'http://127.0.0.1:3000', port: 11444, trustedHeader: 'email', tokens: [] });
    await webappCommand(['off', '--data-dir', dataDir], io);
    out.length = 0;
    await webappCommand(['status', '--data-dir', dataDir], io);
    assert.match(out.at(-1)!, /No web app is guarded/);
  });

  it('lists sessions and turns remote sign-in off', async () => {
    out.length = 0;
    await adminCommand(['sessions', '--json', '--data-dir', dataDir], io);
    assert.deepEqual(JSON.parse(out.at(-1)!), []);
    await adminCommand(['disable-remote', '--data-dir', dataDir], io);
    assert.match(out.at(-1)!, /Remote administration is off/);
  });
});
