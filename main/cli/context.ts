import { resolveDataDir } from '../config/paths';
import { Store } from '../store/store';

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
