import { api } from '../api';
import { useEvent, useLoad } from '../hooks';
import { Card, Stat } from '../ui';

const ms = (value: number | null) => (value === null ? '–' : value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`);

/** Ollama's slots and who waits for them, refreshed as requests start and end. */
export function QueueCard() {
  const queue = useLoad(() => api.getQueue());
  useEvent('live', () => queue.reload());
  const q = queue.data;
  if (!q) return null;
  return (
    <Card title="Sharing the GPU">
      {q.slots === 0 ? (
        <p className="muted">No queue: requests go straight to Ollama, which serves them first come, first served. Set “Requests Ollama runs at once” in Settings to share it fairly.</p>
      ) : (
        <>
          <div className="stats">
            <Stat label="slots in use" value={`${q.busy} of ${q.slots}`} />
            <Stat label="waiting" value={q.waiting} />
            <Stat label="wait p50" value={ms(q.waitP50Ms)} />
            <Stat label="wait p95" value={ms(q.waitP95Ms)} />
          </div>
          {q.clients.length > 0 && (
            <ul className="plain" aria-label="Who uses the GPU">
              {q.clients.map((c) => (
                <li key={c.name}>
                  <strong>{c.name}</strong> <span className="muted">{c.running} running{c.waiting ? `, ${c.waiting} waiting` : ''}</span>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </Card>
  );
}
