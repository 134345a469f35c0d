import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEntry } from '../../main/metering/records';
import { appHeaders } from '../../main/webapp/webapp-gate';
import { WebUsage } from '../../main/webapp/web-usage';
import type { TokenRecord } from '../../main/store/tokens-repo';

describe('web app usage', () => {
  it('writes one audit row per token with its requests and bytes, and nothing when idle', () => {
    const rows: AuditEntry[] = [];
    const usage = new WebUsage((e) => rows.push(e), 60_000);
    usage.count({ id: 'tk_1', name: 'ann' }, 100, 2_000_000);
    usage.count({ id: 'tk_1', name: 'ann' }, 0, 500_000);
    usage.count({ id: 'tk_2', name: 'bob' }, 0, 0);
    usage.flush();
    assert.deepEqual(rows.map((r) => [r.action, r.target, r.detail]), [
      ['webapp.used', 'ann', '2 requests, 0.0 MB in, 2.5 MB out'],
      ['webapp.used', 'bob', '1 requests, 0.0 MB in, 0.0 MB out'],
    ]);
    usage.close();
    assert.equal(rows.length, 2);
  });
});

describe('what the web app receives', () => {
  const token = { id: 'tk_1', name: 'Zoë Ünal', web: true } as TokenRecord;
  it('drops Gatehouse cookies and client identity headers, and says who signed in in ASCII', () => {
    const out = appHeaders({ cookie: '__Host-gatehouse-web=abc; theme=dark', 'x-trusted-user-email': 'ceo@x', 'X-Gatehouse-Token': 'x', 'x-trusted-anything': '1', accept: 'text/html' }, token, 'email');
    assert.equal(out.cookie, 'theme=dark');
    assert.equal(out['x-trusted-user-email'], 'zoe-unal@gatehouse.local');
    assert.equal(out['x-trusted-user-name'], 'Zoe Unal');
    assert.equal(out['x-trusted-anything'], undefined);
    assert.ok(!Object.keys(out).some((k) => k.toLowerCase() === 'x-gatehouse-token'));
    assert.equal(out.accept, 'text/html');
    const off = appHeaders({ cookie: '__Host-gatehouse-web=abc', 'x-trusted-user-email': 'ceo@x' }, token, 'off');
    assert.deepEqual(off, {}, 'with identity headers off, none at all, and no empty cookie');
  });
});
