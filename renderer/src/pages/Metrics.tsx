import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { MetricsBreakdown } from '../../../preload/contract';
import { api } from '../api';
import { count, ms } from '../format';
import { useEvent, useLoad } from '../hooks';
import { Card, Empty, ErrorNote, Loading, TableHead } from '../ui';

const RANGES = [
  [1, 'Last 24 hours'],
  [7, 'Last 7 days'],
  [30, 'Last 30 days'],
] as const;

function Breakdown({ title, rows }: { title: string; rows: MetricsBreakdown[] }) {
  return (
    <Card title={title}>
      {rows.length === 0 ? (
        <p className="muted">Nothing in this period.</p>
      ) : (
        <table>
          <TableHead columns={['Name', 'Requests', 'Errors', 'Tokens in', 'Tokens out']} />
          <tbody>
            {rows.map((r) => (
              <tr key={r.name}>
                <td>{r.name}</td>
                <td>{count(r.requests)}</td>
                <td>{count(r.errors)}</td>
                <td>{count(r.tokensIn)}</td>
                <td>{count(r.tokensOut)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

export function Metrics() {
  const [days, setDays] = useState<number>(1);
  const metrics = useLoad(() => api.getMetrics({ days }), [days]);
  useEvent('live', (live) => live.length === 0 && metrics.reload());

  const data = metrics.data;
  const label = (at: number) => (data?.bucket === 'hour' ? new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : new Date(at).toLocaleDateString([], { month: 'short', day: 'numeric' }));
  const series = data?.series.map((p) => ({ ...p, label: label(p.at) })) ?? [];
  const total = series.reduce((n, p) => n + p.requests, 0);

  return (
    <>
      <div className="row">
        <label>
          Period{' '}
          <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {RANGES.map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">
          {count(total)} requests, by {data?.bucket ?? 'hour'}
        </span>
      </div>
      <ErrorNote error={metrics.error} onRetry={metrics.reload} />
      {!data ? (
        !metrics.error && <Loading what="metrics" />
      ) : total === 0 ? (
        <Empty>No requests in this period yet. Charts appear once someone uses a token.</Empty>
      ) : (
        <div className="grid">
          <Card title="Requests">
            <ResponsiveContainer width="100%" height={220}>
              <BarChart data={series}>
                <CartesianGrid strokeDasharray="3 3" className="chart-grid" />
                <XAxis dataKey="label" />
                <YAxis allowDecimals={false} />
                <Tooltip />
                <Legend />
                <Bar dataKey="requests" name="requests" fill="var(--accent)" isAnimationActive={false} />
                <Bar dataKey="errors" name="errors" fill="var(--bad)" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </Card>
          <Card title="Tokens">
            <ResponsiveContainer width="100%" height={220}>
              <LineChart data={series}>
                <CartesianGrid strokeDasharray="3 3" className="chart-grid" />
                <XAxis dataKey="label" />
                <YAxis />
                <Tooltip />
                <Legend />
                <Line type="monotone" dataKey="tokensIn" name="tokens in" stroke="var(--accent)" dot={false} isAnimationActive={false} />
                <Line type="monotone" dataKey="tokensOut" name="tokens out" stroke="var(--ok)" dot={false} isAnimationActive={false} />
              </LineChart>
            </ResponsiveContainer>
          </Card>
          <Card title="Latency">
            <ResponsiveContainer width="100%" height={220}>
              <LineChart data={series}>
                <CartesianGrid strokeDasharray="3 3" className="chart-grid" />
                <XAxis dataKey="label" />
                <YAxis tickFormatter={(v: number) => ms(v)} />
                <Tooltip formatter={(v) => ms(typeof v === 'number' ? v : null)} />
                <Legend />
                <Line type="monotone" dataKey="p50" name="p50" stroke="var(--accent)" connectNulls dot={{ r: 2 }} isAnimationActive={false} />
                <Line type="monotone" dataKey="p95" name="p95" stroke="var(--warn)" connectNulls dot={{ r: 2 }} isAnimationActive={false} />
                <Line type="monotone" dataKey="ttfbP50" name="first byte p50" stroke="var(--ok)" connectNulls dot={{ r: 2 }} isAnimationActive={false} />
              </LineChart>
            </ResponsiveContainer>
          </Card>
          <Breakdown title="By token" rows={data.byToken} />
          <Breakdown title="By model" rows={data.byModel} />
        </div>
      )}
    </>
  );
}
