import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Platform } from './install';
import type { OllamaOwner } from '../../preload/types';
export type { OllamaOwner } from '../../preload/types';

const run = promisify(execFile);

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** The executable's path or name, and the whole command line where the OS tells. */
  command: string;
}

export interface OwnerClues {
  platform: Platform;
  processes: ProcessInfo[];
  /** The pid of the `ollama serve` we started, while it runs. */
  childPid?: number | null;
  /** Linux: `systemctl is-active ollama` said active. */
  serviceActive?: boolean;
}

const base = (command: string) => (command.split(/\s+-/)[0] ?? command).split(/[\\/]/).pop()?.toLowerCase() ?? '';

/** The Ollama desktop app's own process (not the server it spawns), if it is running. */
export function desktopAppProcess(platform: Platform, processes: ProcessInfo[]): ProcessInfo | undefined {
  if (platform === 'darwin') return processes.find((p) => /\/Ollama\.app\/Contents\/MacOS\/Ollama(\s|$)/.test(p.command));
  if (platform === 'win32') return processes.find((p) => base(p.command) === 'ollama app.exe');
  return undefined;
}

/** Pure: who owns the running Ollama, from a process list and what else we know. */
export function classifyOwner({ platform, processes, childPid, serviceActive }: OwnerClues): OllamaOwner {
  if (childPid && processes.some((p) => p.pid === childPid)) return 'gatehouse';
  if (desktopAppProcess(platform, processes)) return 'desktop-app';
  if (platform === 'linux' && serviceActive) return 'system-service';
  return 'unknown';
}

/** Parses `ps -axo pid=,ppid=,args=` (macOS and Linux). */
export function parsePs(text: string): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.+?)\s*$/.exec(line);
    if (m) out.push({ pid: Number(m[1]), ppid: Number(m[2]), command: m[3]! });
  }
  return out;
}

/** Parses PowerShell's `ConvertTo-Csv` of Win32_Process (ProcessId, ParentProcessId, Name). */
export function parseWindowsCsv(text: string): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^"(\d+)","(\d+)","(.*)"$/.exec(line.trim());
    if (m) out.push({ pid: Number(m[1]), ppid: Number(m[2]), command: m[3]!.replace(/""/g, '"') });
  }
  return out;
}

/** Every process of this computer; an empty list when the OS will not say (never throws). */
export async function listProcesses(platform: Platform): Promise<ProcessInfo[]> {
  try {
    if (platform === 'win32') {
      const { stdout } = await run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command',
        'Get-CimInstance Win32_Process | Select-Object ProcessId,ParentProcessId,Name | ConvertTo-Csv -NoTypeInformation'], { timeout: 10_000, windowsHide: true });
      return parseWindowsCsv(stdout);
    }
    if (platform === 'linux') return await procProcesses();
    const { stdout } = await run('ps', ['-axo', 'pid=,ppid=,args='], { timeout: 5000, maxBuffer: 16 * 1024 * 1024 });
    return parsePs(stdout);
  } catch {
    return [];
  }
}

/** Linux without `ps` (slim images): /proc/<pid>/stat and cmdline. */
async function procProcesses(): Promise<ProcessInfo[]> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
  const all = await Promise.all(pids.map(async (pid): Promise<ProcessInfo | null> => {
    try {
      const [stat, cmdline] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/cmdline`, 'utf8')]);
      // The name in stat is in parentheses and may itself contain spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      return { pid: Number(pid), ppid, command: cmdline.split('\0').filter(Boolean).join(' ') || name };
    } catch {
      return null; // it exited while we looked
    }
  }));
  return all.filter((p): p is ProcessInfo => p !== null);
}

/** Linux: whether systemd runs the `ollama` service. False where there is no systemd. */
export async function systemServiceActive(platform: Platform): Promise<boolean> {
  if (platform !== 'linux') return false;
  try {
    await run('systemctl', ['is-active', '--quiet', 'ollama'], { timeout: 3000 });
    return true;
  } catch {
    return false;
  }
}
