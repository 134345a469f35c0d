import type { TrayState } from './tray-model';

export interface Notice {
  title: string;
  body: string;
}

/** What deserves a native notification, from one state to the next: news, never repeats. */
export function noticesFor(prev: TrayState | null, next: TrayState): Notice[] {
  const notices: Notice[] = [];
  const was = prev?.ollama;
  const now = next.ollama;
  if (now) {
    if (now.state === 'backing-off' && was?.state !== 'backing-off') {
      notices.push({ title: 'Ollama stopped unexpectedly', body: 'Gatehouse is restarting it.' });
    }
    if (now.state === 'running' && now.owner === 'gatehouse' && was?.state === 'backing-off') {
      notices.push({ title: 'Ollama is running again', body: `Restarted after ${was.failures} crash${was.failures === 1 ? '' : 'es'}.` });
    }
    if (now.state === 'gave-up' && was?.state !== 'gave-up') {
      notices.push({ title: 'Ollama keeps crashing', body: now.fix ?? now.message });
    }
    if (now.exposure && !was?.exposure) {
      notices.push({ title: 'Ollama is exposed to your network', body: `${now.exposure.message} ${now.exposure.fix}` });
    }
  }
  if (next.update.state === 'ready' && prev?.update.state !== 'ready') {
    notices.push({ title: `Gatehouse ${next.update.version} is ready`, body: 'Choose "Restart to update" in the tray menu.' });
  }
  if (next.gatewayError && next.gatewayError !== prev?.gatewayError) {
    notices.push({ title: 'Gatehouse is not serving', body: next.gatewayError });
  }
  return notices;
}
