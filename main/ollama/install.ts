import { posix, win32 } from 'node:path';
import type { Platform, OllamaInstall } from '../../preload/types';
export type { Platform, OllamaInstall } from '../../preload/types';

export interface InstallProbe {
  platform: Platform;
  env: Record<string, string | undefined>;
  exists: (path: string) => boolean;
}

/**
 * Finds Ollama in the places its installers put it, then on PATH. Pure given `exists`, so every OS
 * is tested from a fake file system.
 */
export function detectInstall({ platform, env, exists }: InstallProbe): OllamaInstall {
  const path = platform === 'win32' ? win32 : posix;
  const candidates: string[] = [];
  let app: string | null = null;
  if (platform === 'darwin') {
    const bundle = '/Applications/Ollama.app';
    const userBundle = env.HOME ? path.join(env.HOME, 'Applications', 'Ollama.app') : undefined;
    app = [bundle, userBundle].find((p): p is string => p !== undefined && exists(p)) ?? null;
    candidates.push('/usr/local/bin/ollama', '/opt/homebrew/bin/ollama');
    if (app) candidates.push(path.join(app, 'Contents', 'Resources', 'ollama'));
  } else if (platform === 'win32') {
    const localAppData = env.LOCALAPPDATA;
    if (localAppData) {
      const dir = path.join(localAppData, 'Programs', 'Ollama');
      const tray = path.join(dir, 'ollama app.exe');
      if (exists(tray)) app = tray;
      candidates.push(path.join(dir, 'ollama.exe'));
    }
  } else {
    candidates.push('/usr/local/bin/ollama', '/usr/bin/ollama');
  }
  candidates.push(...onPath(platform, env, path));
  return {
    binary: candidates.find(exists) ?? null,
    app,
    systemService: platform === 'linux' && ['/etc/systemd/system/ollama.service', '/usr/lib/systemd/system/ollama.service', '/lib/systemd/system/ollama.service'].some(exists),
  };
}

function onPath(platform: Platform, env: Record<string, string | undefined>, path: typeof posix): string[] {
  const pathVar = platform === 'win32' ? (env.Path ?? env.PATH) : env.PATH;
  if (!pathVar) return [];
  const name = platform === 'win32' ? 'ollama.exe' : 'ollama';
  return pathVar
    .split(platform === 'win32' ? ';' : ':')
    .filter((dir) => dir && path.isAbsolute(dir))
    .map((dir) => path.join(dir, name));
}

export function currentPlatform(): Platform {
  const p = process.platform;
  return p === 'darwin' || p === 'win32' ? p : 'linux';
}
