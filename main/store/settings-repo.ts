import { DEFAULT_SETTINGS, isSettingKey, parseSetting, type SettingKey, type Settings } from '../config/settings';
import type { Db } from './database';

export interface LoadedSettings {
  settings: Settings;
  /** Stored values that no longer validate; each was replaced by its default, and the row kept. */
  problems: string[];
}

export class SettingsRepository {
  private readonly selectAll;
  private readonly upsert;

  constructor(private readonly db: Db) {
    this.selectAll = db.prepare<[], { key: string; value: string }>('SELECT key, value FROM settings');
    this.upsert = db.prepare<[string, string, number]>(
      `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
  }

  load(): LoadedSettings {
    const settings: Settings = { ...DEFAULT_SETTINGS };
    const problems: string[] = [];
    for (const row of this.selectAll.all()) {
      if (!isSettingKey(row.key)) continue; // written by a newer version; leave it alone
      try {
        assign(settings, row.key, parseSetting(row.key, JSON.parse(row.value)));
      } catch (err) {
        problems.push(`Stored setting ${row.key} is invalid (${(err as Error).message}); using the default.`);
      }
    }
    return { settings, problems };
  }

  /** Validates and stores one setting; returns the stored (normalised) value. */
  set<K extends SettingKey>(key: K, value: unknown, now = Date.now()): Settings[K] {
    const parsed = parseSetting(key, value);
    this.upsert.run(key, JSON.stringify(parsed), now);
    return parsed;
  }
}

function assign<K extends SettingKey>(target: Settings, key: K, value: Settings[K]): void {
  target[key] = value;
}
