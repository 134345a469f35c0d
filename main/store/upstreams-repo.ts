import type { Db } from './database';

/** An Ollama host besides the local one, as stored. `token` is as stored: sealed when a vault sealed it. */
export interface UpstreamRow {
  name: string;
  url: string;
  slots: number;
  token: string | null;
  caPem: string | null;
  insecure: boolean;
  addedAt: number;
}

interface Row {
  name: string;
  url: string;
  slots: number;
  token: string | null;
  ca_pem: string | null;
  insecure: number;
  added_at: number;
}

const fromRow = (r: Row): UpstreamRow => ({ name: r.name, url: r.url, slots: r.slots, token: r.token, caPem: r.ca_pem, insecure: r.insecure === 1, addedAt: r.added_at });

export class UpstreamsRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      insert: db.prepare('INSERT INTO upstreams (name, url, slots, token, ca_pem, insecure, added_at) VALUES (@name, @url, @slots, @token, @caPem, @insecure, @addedAt)'),
      all: db.prepare<[], Row>('SELECT * FROM upstreams ORDER BY added_at, name'),
      remove: db.prepare('DELETE FROM upstreams WHERE name = ?'),
    };
  }

  insert(row: UpstreamRow): void {
    this.s.insert.run({ ...row, insecure: row.insecure ? 1 : 0 });
  }

  all(): UpstreamRow[] {
    return this.s.all.all().map(fromRow);
  }

  remove(name: string): boolean {
    return this.s.remove.run(name).changes === 1;
  }
}
