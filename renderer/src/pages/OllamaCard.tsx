import type { OllamaStatus } from '../../../preload/contract';
import { api } from '../api';
import { useAction } from '../hooks';
import { Card, ErrorNote } from '../ui';

const STATE_LABEL: Record<OllamaStatus['state'], string> = {
  'not-installed': 'Not installed',
  stopped: 'Stopped',
  starting: 'Starting',
  running: 'Running',
  unreachable: 'Not answering',
  'backing-off': 'Restarting',
  'gave-up': 'Stopped after crashes',
};

/** Ollama's state, the exposure warning with its fix, and start/stop/restart for the Ollama we run. */
export function OllamaCard({ status }: { status: OllamaStatus | null | undefined }) {
  const action = useAction((what: 'start' | 'stop' | 'restart') => api.ollamaAction({ action: what }));
  if (!status) {
    return (
      <Card title="Ollama">
        <p className="muted">This Gatehouse only forwards to Ollama; it does not watch over it.</p>
      </Card>
    );
  }
  const ours = status.owner === 'gatehouse';
  const canStart = ['stopped', 'gave-up', 'backing-off'].includes(status.state);
  return (
    <Card title="Ollama">
      <p>
        <span className={`badge ${status.state === 'running' ? 'ok' : status.state === 'starting' || status.state === 'backing-off' ? 'warn' : 'bad'}`}>{STATE_LABEL[status.state]}</span>{' '}
        {status.message}
      </p>
      {status.fix && <p className="muted">{status.fix}</p>}
      {status.exposure && (
        <div className="note error" role="alert">
          <strong>{status.exposure.message}</strong>
          <p>{status.exposure.fix}</p>
        </div>
      )}
      <div className="row">
        {canStart && (
          <button type="button" className="primary" disabled={action.busy} onClick={() => void action.run('start')}>
            Start Ollama
          </button>
        )}
        {ours && status.state === 'running' && (
          <>
            <button type="button" disabled={action.busy} onClick={() => void action.run('restart')}>
              Restart
            </button>
            <button type="button" disabled={action.busy} onClick={() => void action.run('stop')}>
              Stop
            </button>
          </>
        )}
      </div>
      <ErrorNote error={action.error} />
    </Card>
  );
}
