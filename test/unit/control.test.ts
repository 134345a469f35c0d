import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toCsv } from '../../preload/csv';
import { labelEndpoints } from '../../main/share/endpoints';
import { activityFrom, metricsFrom, startOfLocalDay } from '../../main/control/metrics-view';
import { hostOf, isOwnHost, isSameOrigin } from '../../main/gateway/admin/guard';
import { statusOf } from '../../main/errors';
import { addTo, type Histogram } from '../../main/metering/histogram';
import { clientSnippets, sharePayload } from '../../preload/snippets';
import type { HourlyRow } from '../../main/store/metering-repo';

const HOUR = 3_600_000;
const hist = (...ms: number[]) => {
  const h: Histogram = {};
  for (const v of ms) addTo(h, v);
  return h;
};
const row = (hour: number, token: string, model: string, requests: number, durations: number[]): HourlyRow => ({
  hour, token_id: token, token_name: token, model, requests, errors: 0, prompt_tokens: requests * 10, completion_tokens: requests * 20,
  durationHist: hist(...durations), ttfbHist: hist(...durations.map((d) => d / 10)),
});

describe('metrics for the charts', () => {
  const now = Date.UTC(2026, 10, 22, 15, 30);
  const h0 = Math.floor(now / HOUR) * HOUR;

  it('has every hour of the last day, zero where nothing happened', () => {
    const m = metricsFrom([row(h0 - 2 * HOUR, 'alice', 'llama3.2:latest', 3, [100, 100, 100])], 1, now);
    assert.equal(m.bucket, 'hour');
    assert.equal(m.series.length, 24);
    assert.equal(m.series.at(-1)?.at, h0);
    const busy = m.series.find((p) => p.at === h0 - 2 * HOUR)!;
    assert.equal(busy.requests, 3);
    assert.equal(m.series.filter((p) => p.requests === 0).length, 23);
    assert.equal(m.series.find((p) => p.requests === 0)?.p50, null);
  });

  it('reads p95 from the merged histograms, not from an average of per-group percentiles', () => {
    // One group of 19 fast requests and one of a single slow one: the true p95 is fast, the true max slow.
    const m = metricsFrom([row(h0, 'alice', 'a', 19, Array<number>(19).fill(100)), row(h0, 'bob', 'b', 1, [10_000])], 1, now);
    const p = m.series.at(-1)!;
    assert.ok(p.p95! > 90 && p.p95! < 110, `p95 ${p.p95}`);
    assert.equal(p.requests, 20);
  });

  it('groups by local day beyond two days, with totals per token and model, busiest first', () => {
    const rows = [row(h0 - 30 * HOUR, 'bob', 'qwen3:8b', 1, [50]), row(h0, 'alice', 'llama3.2:latest', 5, [80]), row(h0, '', 'llama3.2:latest', 2, [80])];
    const m = metricsFrom(rows, 7, now);
    assert.equal(m.bucket, 'day');
    assert.equal(m.series.length, 7);
    assert.ok(m.series.every((p) => p.at === startOfLocalDay(p.at)));
    assert.deepEqual(m.byToken.map((t) => [t.name, t.requests]), [['alice', 5], ['(this computer)', 2], ['bob', 1]]);
    assert.deepEqual(m.byModel.map((t) => [t.name, t.requests, t.tokensOut]), [['llama3.2:latest', 7, 140], ['qwen3:8b', 1, 20]]);
  });
});

describe('activity rows', () => {
  it('puts audit and security rows in one shape, newest first', () => {
    const audit = activityFrom('audit', [{ id: 1, at: 1, actor: 'cli', action: 'token.created', target: 'a' }, { id: 2, at: 5, actor: 'window', action: 'token.revoked', target: 'a' }], []);
    assert.deepEqual(audit.map((r) => [r.who, r.what]), [['window', 'token.revoked'], ['cli', 'token.created']]);
    const security = activityFrom('security', [], [{ id: 1, at: 3, kind: 'auth_failed', ip: '10.0.0.9', method: 'POST', path: '/api/chat', detail: 'unknown token' }]);
    assert.deepEqual(security[0], { id: 1, at: 3, who: 'auth_failed', what: 'POST /api/chat', target: null, detail: 'unknown token', ip: '10.0.0.9', count: 1 });
  });
});

describe('sharing', () => {
  const token = `gth_${'a'.repeat(49)}`;

  it('puts the token and CA fingerprint in the fragment of the endpoint', () => {
    const payload = sharePayload('https://192.168.1.20:11443', token, 'AB:CD:EF');
    const url = new URL(payload);
    assert.equal(url.origin, 'https://192.168.1.20:11443');
    assert.equal(url.search, '');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(url.hash.slice(1))), { token, 'ca-sha256': 'abcdef' });
    assert.equal(new URL(sharePayload('https://h:1', token, null)).hash, `#token=${token}`);
  });

  it('gives every client the endpoint and token, and the CA setting only with the local CA', () => {
    const withCa = clientSnippets({ endpoint: 'https://gpu.local:11443', token, model: 'qwen3:8b', localCa: true });
    assert.deepEqual(withCa.map((s) => s.client), ['curl', 'ollama (JavaScript)', 'ollama (Python)', 'OpenAI SDK (JavaScript)', 'OpenAI SDK (Python)', 'ollama command', 'Anthropic SDK (Python)', 'Open WebUI', 'Continue (config.yaml)']);
    for (const s of withCa) {
      // The ollama command signs with its own key instead of sending the token.
      assert.equal(s.code.includes(token), s.client !== 'ollama command', `${s.client} has the token (or, the ollama command, not)`);
      assert.ok(s.code.includes('gpu.local:11443'), `${s.client} has the endpoint`);
      assert.ok(s.code.includes('gatehouse-ca.crt'), `${s.client} trusts the CA`);
    }
    assert.ok(withCa.filter((s) => s.client.startsWith('OpenAI')).every((s) => s.code.includes('https://gpu.local:11443/v1')));
    const custom = clientSnippets({ endpoint: 'https://gpu.example.com', token, model: 'qwen3:8b', localCa: false });
    assert.ok(custom.every((s) => !s.code.includes('gatehouse-ca.crt')));
    const ollama = withCa.find((s) => s.client === 'ollama command')!.code;
    for (const line of ['SSL_CERT_FILE=gatehouse-ca.crt OLLAMA_HOST=https://gpu.local:11443 OLLAMA_AUTH=1 ollama run qwen3:8b', 'security add-trusted-cert', 'certutil -user -addstore Root gatehouse-ca.crt', '$env:OLLAMA_AUTH="1"', 'cat ~/.ollama/id_ed25519.pub']) {
      assert.ok(ollama.includes(line), `the ollama command snippet has ${line}`);
    }
  });

  it('labels addresses people recognise', () => {
    const labels = labelEndpoints(['https://localhost:1', 'https://127.0.0.1:1', 'https://[::1]:1', 'https://192.168.1.20:1', 'https://[fd00::2]:1']).map((e) => e.label);
    assert.deepEqual(labels, ['This computer only', 'This computer only', 'This computer only', 'Network address 192.168.1.20', 'Network address fd00::2']);
  });
});

describe('dashboard request guards', () => {
  const names = { dns: ['gpu', 'gpu.local', 'localhost'], ips: ['127.0.0.1', '192.168.1.20', '::1'] };

  it('accepts only our own names and addresses in Host', () => {
    const cases: Array<[string | undefined, boolean]> = [
      ['localhost:11443', true], ['GPU.local', true], ['192.168.1.20:11443', true], ['[::1]:11443', true], ['127.0.0.1', true],
      ['evil.example', false], ['localhost.evil.example', false], ['127.0.0.1.nip.io', false], ['gpu.local.', false], ['[::2]', false],
      ['localhost:11443@evil', false], ['localhost:99999999', false], ['', false], [undefined, false], ['x'.repeat(400), false],
    ];
    for (const [host, ok] of cases) assert.equal(isOwnHost(host, names), ok, String(host));
    assert.equal(hostOf('[::1]:8443'), '::1');
  });

  it('refuses cross-site requests by Origin and by Fetch Metadata', () => {
    assert.equal(isSameOrigin({ host: 'localhost:11443' }, 'https'), true);
    assert.equal(isSameOrigin({ host: 'localhost:11443', origin: 'https://localhost:11443', 'sec-fetch-site': 'same-origin' }, 'https'), true);
    assert.equal(isSameOrigin({ host: 'localhost:11443', origin: 'http://localhost:11443' }, 'https'), false);
    assert.equal(isSameOrigin({ host: 'localhost:11443', origin: 'https://evil.example' }, 'https'), false);
    assert.equal(isSameOrigin({ host: 'localhost:11443', origin: 'null' }, 'https'), false);
    assert.equal(isSameOrigin({ host: 'localhost:11443', 'sec-fetch-site': 'cross-site' }, 'https'), false);
    assert.equal(isSameOrigin({ host: 'localhost:11443', 'sec-fetch-site': 'same-site' }, 'https'), false);
  });

  it('maps error codes to statuses', () => {
    assert.deepEqual(['BAD_USAGE', 'SESSION_INVALID', 'TOKEN_NOT_FOUND', 'OLLAMA_UNREACHABLE', 'OLLAMA_NOT_OURS', 'INTERNAL', 'NOT_SUPERVISING'].map(statusOf), [400, 401, 404, 502, 409, 500, 409]);
  });
});

describe('CSV export', () => {
  it('quotes what needs it and defuses cells that a spreadsheet would run as formulas', () => {
    const csv = toCsv(['name', 'n'], [['=HYPERLINK("http://x")', 1], ['a,b', -2], ['plain', null], ['@SUM(A1)', 3]]);
    assert.equal(csv, 'name,n\r\n"\'=HYPERLINK(""http://x"")",1\r\n"a,b",-2\r\nplain,\r\n"\'@SUM(A1)",3');
  });
});
