import type { Args, EventName, Events, Operation, Results } from '../../preload/contract';
import { dataPaths, resolveDataDir } from '../config/paths';
import { envOverrides, type Settings } from '../config/settings';
import { ControlApi } from '../control/control-api';
import { servingUrls } from '../share/endpoints';
import { OllamaClient } from '../ollama/client';
import { PullJobs } from '../ollama/pull-jobs';
import { Store } from '../store/store';
import { UpstreamHosts } from '../upstreams/hosts';
import { AcmeIssuer } from '../tls/acme';
import { connectRunning, talkedTo } from './remote-control';

/** Opens the store for one command and always closes it, so the CLI never holds the database. */
export function withStore<T>(dataDirFlag: string | undefined, fn: (store: Store, dataDir: string) => T): T {
  const dataDir = resolveDataDir(dataDirFlag);
  const store = Store.open(dataDir);
  try {
    return fn(store, dataDir);
  } finally {
    store.close();
  }
}

export async function withStoreAsync<T>(dataDirFlag: string | undefined, fn: (store: Store, dataDir: string) => Promise<T>): Promise<T> {
  const dataDir = resolveDataDir(dataDirFlag);
  const store = Store.open(dataDir);
  try {
    return await fn(store, dataDir);
  } finally {
    store.close();
  }
}

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * The ControlApi for the CLI's commands, attributed to `cli`: the running Gatehouse's, over its
 * control socket, when one runs on this data folder; else one over the store, with the same
 * validation, audit and effects as the window and the dashboard.
 */
export async function withControl<T>(
  dataDirFlag: string | undefined,
  fn: (control: CliControl, store: Store) => Promise<T>,
  flags: Partial<Settings> = {},
  io?: Output,
): Promise<T> {
  return withStoreAsync(dataDirFlag, async (store, dataDir) => {
    // A running Gatehouse on this data folder is the only way in, so the CLI sees what it serves;
    // flags that name another Ollama (--upstream) mean "that one, directly".
    const running = Object.keys(flags).length === 0 ? await connectRunning(dataDir) : null;
    if (running) {
      try {
        const result = await fn(running.control, store);
        io?.err(talkedTo(running));
        return result;
      } finally {
        running.close();
      }
    }
    const overrides = { ...envOverrides(), ...flags };
    const settings = () => ({ ...store.settings.load().settings, ...overrides });
    const models = new OllamaClient(() => settings().upstream);
    // The hosts as stored; checked only when a command asks (no polling in a CLI run).
    const hosts = new UpstreamHosts({ store, settings });
    const pulls = new PullJobs(models, Date.now, (on) => hosts.get(on)?.client());
    // What a gateway with these settings serves (for invite links); the CLI itself serves nothing.
    const serving = () => ({ urls: servingUrls('https', settings().host, settings().port), tls: null, caPem: null });
    const tlsDir = dataPaths(dataDir).tlsDir;
    const control = new ControlApi({ store, settings, overrides, models, pulls, serving, hosts, tlsDir, acme: new AcmeIssuer({ tlsDir }) });
    try {
      const cli: CliControl = {
        call: <O extends Operation>(operation: O, args: Args<O>) => control.call(operation, args, 'cli') as Promise<Results[O]>,
        on: (event, listener) => control.on(event, listener),
      };
      return await fn(cli, store);
    } finally {
      await pulls.close();
      control.close();
      await hosts.close();
    }
  });
}

/** The ControlApi as the CLI uses it: typed calls, always as the `cli` actor. */
export interface CliControl {
  call<O extends Operation>(operation: O, args: Args<O>): Promise<Results[O]>;
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
}
