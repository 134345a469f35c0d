import { dataPaths, ensurePrivateDir } from '../config/paths';
import { parseSetting, type SettingKey, type Settings } from '../config/settings';
import type { Actor, AuditEntry } from '../metering/records';
import { openDatabase, type Db, type OpenOptions } from './database';
import { AdminAccountRepository } from './admin-account-repo';
import { AdminRepository } from './admin-repo';
import { InvitesRepository } from './invites-repo';
import { LockoutsRepository } from './lockouts-repo';
import { MeteringRepository } from './metering-repo';
import { SettingsRepository } from './settings-repo';
import { TokenRepository } from './tokens-repo';
import { UpstreamsRepository } from './upstreams-repo';

type Listener = () => void;

/**
 * The SQLite store and its repositories, plus one signal: "something the caches depend on changed".
 * Writes made through this Store fire it at once; writes made by another process (the CLI next to
 * a running server) are noticed by polling `PRAGMA data_version`, which costs microseconds.
 */
export class Store {
  readonly tokens: TokenRepository;
  readonly settings: SettingsRepository;
  readonly metering: MeteringRepository;
  readonly admin: AdminRepository;
  readonly adminAccount: AdminAccountRepository;
  readonly invites: InvitesRepository;
  readonly lockouts: LockoutsRepository;
  readonly upstreams: UpstreamsRepository;
  private readonly listeners = new Set<Listener>();
  private watchTimer: NodeJS.Timeout | undefined;
  private lastDataVersion = 0;

  private constructor(readonly db: Db) {
    this.tokens = new TokenRepository(db);
    this.settings = new SettingsRepository(db);
    this.metering = new MeteringRepository(db);
    this.admin = new AdminRepository(db);
    this.adminAccount = new AdminAccountRepository(db);
    this.invites = new InvitesRepository(db);
    this.lockouts = new LockoutsRepository(db);
    this.upstreams = new UpstreamsRepository(db);
  }

  static open(dataDir: string, options: OpenOptions = {}): Store {
    ensurePrivateDir(dataDir);
    return new Store(openDatabase(dataPaths(dataDir).database, options));
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells the caches in this process that this process changed something. */
  changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** Runs `change` and writes its audit entry in one transaction: no change without its record. */
  audited<T>(entry: Omit<AuditEntry, 'at'> & { at?: number }, change: () => T): T {
    const result = this.db.transaction(() => {
      const value = change();
      this.metering.audit({ at: Date.now(), ...entry });
      return value;
    })();
    this.changed();
    return result;
  }

  /** Validates, stores and audits one setting; tells this process's caches. */
  setSetting<K extends SettingKey>(key: K, value: unknown, actor: Actor): Settings[K] {
    const parsed = parseSetting(key, value);
    const action = key === 'paused' ? (parsed ? 'remote.paused' : 'remote.resumed') : 'setting.changed';
    return this.audited({ actor, action, target: key, detail: key === 'paused' ? null : JSON.stringify(parsed) }, () =>
      this.settings.set(key, parsed),
    );
  }

  /** Starts noticing other processes' commits. */
  watch(intervalMs = 250): void {
    if (this.watchTimer) return;
    this.lastDataVersion = this.dataVersion();
    this.watchTimer = setInterval(() => {
      try {
        const version = this.dataVersion();
        if (version !== this.lastDataVersion) {
          this.lastDataVersion = version;
          this.changed();
        }
      } catch {
        // A locked or failing file: the caches keep what they have, and the next tick looks again.
      }
    }, intervalMs);
    this.watchTimer.unref();
  }

  close(): void {
    clearInterval(this.watchTimer);
    this.watchTimer = undefined;
    this.listeners.clear();
    if (this.db.open) this.db.close();
  }

  private dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }
}
