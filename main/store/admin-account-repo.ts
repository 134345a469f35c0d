import type { Db } from './database';

export interface AdminAccountRow {
  passwordHash: string | null;
  totpSecret: string | null;
  pendingTotp: string | null;
  lastTotpStep: number;
}

/** The administrator's credentials and recovery codes (hashes only). */
export class AdminAccountRepository {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      get: db.prepare<[], { password_hash: string | null; totp_secret: string | null; pending_totp: string | null; last_totp_step: number }>('SELECT * FROM admin_account WHERE id = 1'),
      upsert: db.prepare(
        `INSERT INTO admin_account (id, password_hash, totp_secret, pending_totp, last_totp_step, updated_at)
         VALUES (1, @passwordHash, @totpSecret, @pendingTotp, @lastTotpStep, @at)
         ON CONFLICT (id) DO UPDATE SET password_hash = excluded.password_hash, totp_secret = excluded.totp_secret,
           pending_totp = excluded.pending_totp, last_totp_step = excluded.last_totp_step, updated_at = excluded.updated_at`,
      ),
      // Moves the step forward only: two sign-ins racing with one code cannot both pass.
      useStep: db.prepare('UPDATE admin_account SET last_totp_step = ? WHERE id = 1 AND last_totp_step < ?'),
      clearCodes: db.prepare('DELETE FROM recovery_codes'),
      insertCode: db.prepare<[string, string]>('INSERT INTO recovery_codes (id, hash) VALUES (?, ?)'),
      codeHash: db.prepare<[string], { hash: string }>('SELECT hash FROM recovery_codes WHERE id = ? AND used_at IS NULL'),
      useCode: db.prepare<[number, string]>('UPDATE recovery_codes SET used_at = ? WHERE id = ? AND used_at IS NULL'),
      codesLeft: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM recovery_codes WHERE used_at IS NULL'),
    };
  }

  get(): AdminAccountRow {
    const r = this.s.get.get();
    return { passwordHash: r?.password_hash ?? null, totpSecret: r?.totp_secret ?? null, pendingTotp: r?.pending_totp ?? null, lastTotpStep: r?.last_totp_step ?? 0 };
  }

  save(row: AdminAccountRow, at: number): void {
    this.s.upsert.run({ ...row, at });
  }

  /** Records a used TOTP time step; false when that step (or a later one) was already used. */
  useStep(step: number): boolean {
    return this.s.useStep.run(step, step).changes === 1;
  }

  /** Replaces every recovery code: `id` is the code's public first group, `hash` its slow hash. */
  replaceCodes(codes: ReadonlyArray<{ id: string; hash: string }>): void {
    this.db.transaction(() => {
      this.s.clearCodes.run();
      for (const c of codes) this.s.insertCode.run(c.id, c.hash);
    })();
  }

  /** The stored hash of an unused code, by its id. */
  unusedCodeHash(id: string): string | undefined {
    return this.s.codeHash.get(id)?.hash;
  }

  /** Marks a code used; false when it already was (two sign-ins racing with one code). */
  useCode(id: string, at: number): boolean {
    return this.s.useCode.run(at, id).changes === 1;
  }

  codesLeft(): number {
    return this.s.codesLeft.get()?.n ?? 0;
  }
}
