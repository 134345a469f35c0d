import type { Platform } from './install';
import type { OllamaOwner } from './processes';
import type { OllamaStatus } from '../../preload/types';
export type { OllamaState, OllamaStatus } from '../../preload/types';

export type StatusPatch = Partial<Omit<OllamaStatus, 'message' | 'fix' | 'since'>>;

const OWNER_NAMES: Record<OllamaOwner, string> = {
  gatehouse: 'Gatehouse',
  'desktop-app': 'the Ollama app',
  'system-service': 'the ollama system service',
  unknown: 'another program',
};

export function ownerName(owner: OllamaOwner | null): string {
  return owner ? OWNER_NAMES[owner] : 'nobody';
}

/** What to say about a state, in words for a person, with the fix for this OS. */
export function describe(s: Omit<OllamaStatus, 'message' | 'fix' | 'since'>, platform: Platform, detail?: string): { message: string; fix: string | null } {
  const at = s.upstream;
  switch (s.state) {
    case 'not-installed':
      return { message: 'Ollama is not installed on this computer.', fix: 'Install it from https://ollama.com/download, then Gatehouse starts it for you.' };
    case 'stopped':
      if (s.install.systemService) {
        return { message: 'The ollama system service is not running.', fix: 'Start it with: sudo systemctl start ollama (Gatehouse leaves system services to the system).' };
      }
      return { message: 'Ollama is stopped.', fix: 'Start it from the tray (Ollama → Start) or run: ollama serve' };
    case 'starting':
      return { message: `Starting Ollama (${ownerName(s.owner)})…`, fix: null };
    case 'running':
      return {
        message: s.adopted ? `Ollama ${s.version ?? ''} is running at ${at}, started by ${ownerName(s.owner)}.`.replace('  ', ' ') : `Ollama ${s.version ?? ''} is running at ${at}, kept running by Gatehouse.`.replace('  ', ' '),
        fix: null,
      };
    case 'unreachable':
      if (detail === 'remote') {
        return { message: `Ollama does not answer at ${at}.`, fix: 'Check that the computer at that address runs Ollama and accepts connections from this one, or change the upstream: gatehouse config set upstream http://127.0.0.1:11434' };
      }
      if (detail === 'port-taken') {
        return {
          message: `Something that is not Ollama is using ${at}.`,
          fix: 'Stop that program, or point Gatehouse at the right address with: gatehouse config set upstream http://127.0.0.1:PORT',
        };
      }
      return {
        message: `${ownerName(s.owner).replace(/^./, (c) => c.toUpperCase())} runs Ollama, but it does not answer at ${at}.`,
        fix: s.owner === 'desktop-app'
          ? `Quit Ollama from its ${platform === 'darwin' ? 'menu-bar' : 'tray'} icon and open it again.`
          : s.owner === 'system-service' ? 'Restart it: sudo systemctl restart ollama, and check: journalctl -u ollama' : 'Restart Ollama, or check the upstream setting.',
      };
    case 'backing-off':
      return { message: `Ollama stopped unexpectedly (${s.failures} time${s.failures === 1 ? '' : 's'} in a row); restarting it shortly.`, fix: null };
    case 'gave-up':
      return {
        message: `Ollama stopped ${s.failures} times in a row, so Gatehouse stopped restarting it.`,
        fix: 'Look at the Ollama log in the Gatehouse window for the reason, then start it again from the tray (Ollama → Start).',
      };
  }
}
