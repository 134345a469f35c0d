import { hostname } from 'node:os';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import { GatehouseError, UsageError } from '../errors';
import type { Actor } from '../metering/records';
import type { AdminAccountRow } from '../store/admin-account-repo';
import type { Store } from '../store/store';
import { isSealedText, openText, sealText, type SecretVault } from '../tls/files';
import { checkPassword, hashPassword } from './passwords';
import { codeMatches, idOf, newRecoveryCodes } from './recovery-codes';
import type { Enrollment, AdminStatus } from '../../preload/types';
export type { Enrollment, AdminStatus } from '../../preload/types';

export { checkPassword, hashPassword } from './passwords';

let strength: ZxcvbnFactory | undefined;

/** Refuses a password a person could guess: shorter than 12, or weak by zxcvbn (score below 3). */
export function checkPasswordStrength(password: unknown): string {
  if (typeof password !== 'string' || password.length < 12) throw new UsageError('The admin password must be at least 12 characters long.');
  if (password.length > 256) throw new UsageError('The admin password may be at most 256 characters long.');
  strength ??= new ZxcvbnFactory({ dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary }, graphs: zxcvbnCommon.adjacencyGraphs, translations: zxcvbnEn.translations });
  const result = strength.check(password, ['gatehouse', 'ollama', 'admin', hostname()]);
  if (result.score < 3) {
    throw new UsageError(`That password is too easy to guess. ${result.feedback.warning ?? ''}`.trim(), result.feedback.suggestions.join(' ') || 'Use a few unrelated words, or a password manager.');
  }
  return password;
}

/**
 * The remote administrator: an scrypt-hashed password, a TOTP authenticator (with a used time
 * step never accepted twice, sealed by the OS keystore when there is one) and ten single-use
 * recovery codes under scrypt.
 */
export class AdminAccount {
  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
    /** Seals the authenticator secrets at rest, like the private keys, where the app has a keystore. */
    private readonly vault?: SecretVault,
  ) {}

  /** The stored account with its authenticator secrets opened; plain ones are sealed on the way when a vault is given. */
  private account(): AdminAccountRow {
    const stored = this.store.adminAccount.get();
    const opened = { ...stored, totpSecret: openText(stored.totpSecret, this.vault), pendingTotp: openText(stored.pendingTotp, this.vault) };
    const unsealed = (v: string | null) => v !== null && !isSealedText(v);
    if (this.vault && (unsealed(stored.totpSecret) || unsealed(stored.pendingTotp))) this.save(opened);
    return opened;
  }

  private save(row: AdminAccountRow): void {
    this.store.adminAccount.save({ ...row, totpSecret: sealText(row.totpSecret, this.vault), pendingTotp: sealText(row.pendingTotp, this.vault) }, this.clock());
  }

  status(): AdminStatus {
    const a = this.store.adminAccount.get();
    const enabled = this.store.settings.load().settings.remoteAdmin && a.passwordHash !== null && a.totpSecret !== null;
    return { enabled, enrolling: a.pendingTotp !== null, recoveryCodesLeft: enabled ? this.store.adminAccount.codesLeft() : 0 };
  }

  /** Step one of turning remote sign-in on (or of a TOTP reset): a password, then a new authenticator secret to scan. */
  async beginEnrollment(password: string | null): Promise<Enrollment> {
    const account = this.account();
    const passwordHash = password === null ? account.passwordHash : await hashPassword(checkPasswordStrength(password));
    if (!passwordHash) throw new UsageError('Choose an admin password first.');
    const secret = generateSecret();
    this.save({ ...account, passwordHash, pendingTotp: secret });
    const otpauthUri = generateURI({ issuer: 'Gatehouse', label: `admin@${hostname()}`, secret });
    return { secret, otpauthUri, qrDataUrl: await QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M', margin: 2, width: 240 }) };
  }

  /** Step two: a code from the authenticator proves it has the secret; remote sign-in is on, with fresh recovery codes. */
  async confirmEnrollment(code: string, actor: Actor): Promise<{ recoveryCodes: string[] }> {
    const account = this.account();
    if (!account.pendingTotp) throw new UsageError('There is no authenticator waiting to be confirmed.', 'Start again: enter the password to get a new QR code.');
    const step = await this.totpStep(account.pendingTotp, code, 0);
    if (step === null) throw new GatehouseError('TOTP_INVALID', 'That code is not right for the new authenticator.', 'Check the phone\'s clock, then enter the code it shows now.');
    const { codes, stored } = await newRecoveryCodes();
    this.store.audited({ actor, action: 'admin.remote_enabled', detail: 'password + TOTP' }, () => {
      this.save({ passwordHash: account.passwordHash, totpSecret: account.pendingTotp, pendingTotp: null, lastTotpStep: step });
      this.store.adminAccount.replaceCodes(stored);
      this.store.settings.set('remoteAdmin', true);
    });
    return { recoveryCodes: codes };
  }

  /** Remote sign-in off: the credentials are forgotten and every session ends. */
  disable(actor: Actor): void {
    const now = this.clock();
    this.store.audited({ actor, action: 'admin.remote_disabled' }, () => {
      this.store.adminAccount.save({ passwordHash: null, totpSecret: null, pendingTotp: null, lastTotpStep: 0 }, now);
      this.store.adminAccount.replaceCodes([]);
      this.store.settings.set('remoteAdmin', false);
      this.store.admin.revokeAll(now);
    });
  }

  async changePassword(current: string, next: string, actor: Actor): Promise<void> {
    const account = this.account();
    if (!account.passwordHash || !(await checkPassword(current, account.passwordHash))) throw new GatehouseError('PASSWORD_INVALID', 'The current password is not right.');
    const passwordHash = await hashPassword(checkPasswordStrength(next));
    this.store.audited({ actor, action: 'admin.password_changed' }, () => this.save({ ...account, passwordHash }));
  }

  async renewRecoveryCodes(actor: Actor): Promise<string[]> {
    if (!this.status().enabled) throw new UsageError('Remote sign-in is off, so there are no recovery codes.');
    const { codes, stored } = await newRecoveryCodes();
    this.store.audited({ actor, action: 'admin.recovery_codes_renewed' }, () => this.store.adminAccount.replaceCodes(stored));
    return codes;
  }

  /**
   * Checks a remote sign-in: the password, then a TOTP code (never one of an already used time step)
   * or an unused recovery code. Returns how the second factor was met; throws on any failure.
   */
  async verifySignIn(password: unknown, code: unknown): Promise<'totp' | 'recovery'> {
    const refuse = () => new GatehouseError('SIGN_IN_FAILED', 'The password or the code is not right.', 'Codes change every 30 seconds; a recovery code works once.');
    if (!this.status().enabled) {
      throw new GatehouseError('REMOTE_ADMIN_OFF', 'Remote sign-in is off on this Gatehouse.', 'Turn it on from the dashboard or the CLI on the Gatehouse computer: gatehouse admin enable-remote');
    }
    const account = this.account();
    if (!account.passwordHash || !account.totpSecret) throw refuse();
    if (typeof password !== 'string' || typeof code !== 'string' || password.length > 256 || code.length > 40) throw refuse();
    if (!(await checkPassword(password, account.passwordHash))) throw refuse();
    const digits = code.replace(/\s/g, '');
    if (/^\d{6}$/.test(digits)) {
      const step = await this.totpStep(account.totpSecret, digits, account.lastTotpStep);
      if (step !== null && this.store.adminAccount.useStep(step)) return 'totp';
      throw refuse();
    }
    const id = idOf(code);
    if (id === null) throw refuse();
    if ((await codeMatches(code, this.store.adminAccount.unusedCodeHash(id))) && this.store.adminAccount.useCode(id, this.clock())) {
      this.store.metering.audit({ at: this.clock(), actor: 'remote-admin', action: 'admin.recovery_code_used', detail: `${this.store.adminAccount.codesLeft()} left` });
      return 'recovery';
    }
    throw refuse();
  }

  /** The time step a code belongs to (±30 s of drift), if valid and later than `after`. */
  private async totpStep(secret: string, code: string, after: number): Promise<number | null> {
    try {
      const result = await verify({ secret, token: code.replace(/\s/g, ''), epoch: Math.floor(this.clock() / 1000), epochTolerance: 30, afterTimeStep: after });
      // The matched period start, as an RFC 6238 time step (30 s periods).
      return result.valid && 'epoch' in result ? Math.floor(result.epoch / 30) : null;
    } catch {
      return null; // otplib throws on a malformed code instead of answering "invalid"
    }
  }
}
