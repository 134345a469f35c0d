import { useState } from 'react';
import type { ActivityRow } from '../../../preload/contract';
import { api } from '../api';
import { toCsv } from '../../../preload/contract';
import { dateTime, download } from '../format';
import { useEvent, useLoad } from '../hooks';
import { Card, Empty, ErrorNote, Loading } from '../ui';

/** Rows per page: enough for a day of a busy team, small enough to render at once. */
const PAGE = 500;

export function Activity() {
  const [kind, setKind] = useState<'audit' | 'security'>('audit');
  const [days, setDays] = useState(7);
  const [filter, setFilter] = useState('');
  const rows = useLoad(() => api.listActivity({ kind, days, limit: PAGE }), [kind, days]);
  useEvent('changed', rows.reload);
  // Older pages, fetched on request; a new period or log starts again from the newest.
  const [older, setOlder] = useState<{ key: string; rows: ActivityRow[]; done: boolean }>({ key: '', rows: [], done: false });
  const key = `${kind}:${days}`;
  const olderRows = older.key === key ? older.rows : [];
  const all = [...(rows.data ?? []), ...olderRows];
  const more = all.length > 0 && (olderRows.length ? !older.done : (rows.data?.length ?? 0) === PAGE);
  const loadOlder = async () => {
    const page = await api.listActivity({ kind, days, limit: PAGE, before: all[all.length - 1]!.id });
    setOlder({ key, rows: [...olderRows, ...page], done: page.length < PAGE });
  };

  const needle = filter.trim().toLowerCase();
  const shown = all.filter((r) => !needle || [r.who, r.what, r.target, r.detail, r.ip].some((v) => v?.toLowerCase().includes(needle)));
  const exportCsv = () => {
    const header = ['time', kind === 'audit' ? 'actor' : 'event', kind === 'audit' ? 'action' : 'route', kind === 'audit' ? 'target' : 'token', 'detail', 'ip'];
    const body = shown.map((r) => [new Date(r.at).toISOString(), r.who, r.what, r.target, r.detail, r.ip]);
    download(`gatehouse-${kind}-${new Date().toISOString().slice(0, 10)}.csv`, toCsv(header, body), 'text/csv');
  };

  return (
    <Card
      title={kind === 'audit' ? 'What changed' : 'Security events'}
      actions={
        <button type="button" onClick={exportCsv} disabled={shown.length === 0}>
          Export CSV
        </button>
      }
    >
      <div className="row">
        <div className="tabs" role="tablist" aria-label="Log">
          <button type="button" role="tab" aria-selected={kind === 'audit'} onClick={() => setKind('audit')}>
            Changes
          </button>
          <button type="button" role="tab" aria-selected={kind === 'security'} onClick={() => setKind('security')}>
            Security
          </button>
        </div>
        <label>
          Period{' '}
          <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
            <option value={1}>1 day</option>
            <option value={7}>7 days</option>
            <option value={30}>30 days</option>
            <option value={90}>90 days</option>
          </select>
        </label>
        <label className="grow">
          Filter <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="token name, address, action…" />
        </label>
      </div>
      <ErrorNote error={rows.error} onRetry={rows.reload} />
      {!rows.data ? (
        !rows.error && <Loading what="activity" />
      ) : shown.length === 0 ? (
        <Empty>{rows.data.length === 0 ? (kind === 'audit' ? 'Nothing has changed in this period.' : 'No security events in this period: nobody was refused.') : 'Nothing matches the filter.'}</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">{kind === 'audit' ? 'Who' : 'Event'}</th>
              <th scope="col">{kind === 'audit' ? 'What' : 'Request'}</th>
              <th scope="col">{kind === 'audit' ? 'Target' : 'Token'}</th>
              <th scope="col">Detail</th>
              {kind === 'security' && <th scope="col">From</th>}
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.id}>
                <td>{dateTime(r.at)}</td>
                <td>{r.who}</td>
                <td>
                  <code>{r.what}</code>
                </td>
                <td>{r.target ?? '–'}</td>
                <td className="small">
                  {r.detail ?? ''}
                  {r.count > 1 && <strong> ×{r.count}</strong>}
                </td>
                {kind === 'security' && <td>{r.ip}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {more && (
        <div className="row end">
          <button type="button" onClick={() => void loadOlder()}>
            Show older
          </button>
        </div>
      )}
    </Card>
  );
}
