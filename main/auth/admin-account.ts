import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { hostname } from 'node:os';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import { GatehouseError, UsageError } from '../errors';
import type { Actor } from '../metering/records';
import type { Store } from '../store/store';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));

/** scrypt at N=2^15, r=8: 32 MiB and about 120 ms per guess on this 2-core machine. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return timingSafeEqual(actual, expected);
}

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

/** Ten codes like `3f9a1-c07be` (40 random bits each): shown once, stored hashed. */
function newRecoveryCodes(): string[] {
  return Array.from({ length: 10 }, () => {
    const raw = randomBytes(5).toString('hex');
    return `${raw.slice(0, 5)}-${raw.slice(5)}`;
  });
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const normaliseCode = (code: string) => code.toLowerCase().replace(/[\s-]/g, '');

export interface Enrollment {
  secret: string;
  otpauthUri: string;
  qrDataUrl: string;
}

export interface AdminStatus {
  enabled: boolean;
  enrolling: boolean;
  recoveryCodesLeft: number;
}

/**
 * The remote administrator: an scrypt-hashed password, a TOTP authenticator (with a used time
 * step never accepted twice) and ten single-use recovery codes, stored as hashes.
 */
export class AdminAccount {
  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
  ) {}

  status(): AdminStatus {
    const a = this.store.adminAccount.get();
    const enabled = this.store.settings.load().settings.remoteAdmin && a.passwordHash !== null && a.totpSecret !== null;
    return { enabled, enrolling: a.pendingTotp !== null, recoveryCodesLeft: enabled ? this.store.adminAccount.codesLeft() : 0 };
  }

  /** Step one of turning remote sign-in on (or of a TOTP reset): a password, then a new authenticator secret to scan. */
  async beginEnrollment(password: string | null): Promise<Enrollment> {
    const account = this.store.adminAccount.get();
    const passwordHash = password === null ? account.passwordHash : await hashPassword(checkPasswordStrength(password));
    if (!passwordHash) throw new UsageError('Choose an admin password first.');
    const secret = generateSecret();
    this.store.adminAccount.save({ ...account, passwordHash, pendingTotp: secret }, this.clock());
    const otpauthUri = generateURI({ issuer: 'Gatehouse', label: `admin@${hostname()}`, secret });
    return { secret, otpauthUri, qrDataUrl: await QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M', margin: 2, width: 240 }) };
  }

  /** Step two: a code from the authenticator proves it has the secret; remote sign-in is on, with fresh recovery codes. */
  async confirmEnrollment(code: string, actor: Actor): Promise<{ recoveryCodes: string[] }> {
    const account = this.store.adminAccount.get();
    if (!account.pendingTotp) throw new UsageError('There is no authenticator waiting to be confirmed.', 'Start again: enter the password to get a new QR code.');
    const step = await this.totpStep(account.pendingTotp, code, 0);
    if (step === null) throw new GatehouseError('TOTP_INVALID', 'That code is not right for the new authenticator.', 'Check the phone\'s clock, then enter the code it shows now.');
    const recoveryCodes = newRecoveryCodes();
    this.store.audited({ actor, action: 'admin.remote_enabled', detail: 'password + TOTP' }, () => {
      this.store.adminAccount.save({ passwordHash: account.passwordHash, totpSecret: account.pendingTotp, pendingTotp: null, lastTotpStep: step }, this.clock());
      this.store.adminAccount.replaceCodes(recoveryCodes.map((c) => sha256(normaliseCode(c))));
      this.store.settings.set('remoteAdmin', true);
    });
    return { recoveryCodes };
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
    const account = this.store.adminAccount.get();
    if (!account.passwordHash || !(await checkPassword(current, account.passwordHash))) throw new GatehouseError('PASSWORD_INVALID', 'The current password is not right.');
    const passwordHash = await hashPassword(checkPasswordStrength(next));
    this.store.audited({ actor, action: 'admin.password_changed' }, () => this.store.adminAccount.save({ ...account, passwordHash }, this.clock()));
  }

  renewRecoveryCodes(actor: Actor): string[] {
    if (!this.status().enabled) throw new UsageError('Remote sign-in is off, so there are no recovery codes.');
    const codes = newRecoveryCodes();
    this.store.audited({ actor, action: 'admin.recovery_codes_renewed' }, () => this.store.adminAccount.replaceCodes(codes.map((c) => sha256(normaliseCode(c)))));
    return codes;
  }

  /**
   * Checks a remote sign-in: the password, then a TOTP code (never one of an already used time step)
   * or an unused recovery code. Returns how the second factor was met; throws on any failure.
   */
  async verifySignIn(password: unknown, code: unknown): Promise<'totp' | 'recovery'> {
    const account = this.store.adminAccount.get();
    const refuse = () => new GatehouseError('SIGN_IN_FAILED', 'The password or the code is not right.', 'Codes change every 30 seconds; a recovery code works once.');
    if (!this.status().enabled || !account.passwordHash || !account.totpSecret) {
      throw new GatehouseError('REMOTE_ADMIN_OFF', 'Remote sign-in is off on this Gatehouse.', 'Turn it on from the dashboard or the CLI on the Gatehouse computer: gatehouse admin enable-remote');
    }
    if (typeof password !== 'string' || typeof code !== 'string' || password.length > 256 || code.length > 32) throw refuse();
    if (!(await checkPassword(password, account.passwordHash))) throw refuse();
    const digits = code.replace(/\s/g, '');
    if (/^\d{6}$/.test(digits)) {
      const step = await this.totpStep(account.totpSecret, digits, account.lastTotpStep);
      if (step !== null && this.store.adminAccount.useStep(step)) return 'totp';
      throw refuse();
    }
    if (this.store.adminAccount.useCode(sha256(normaliseCode(code)), this.clock())) {
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
