import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256 } from '../auth/digest';
import QRCode from 'qrcode';
import type { Args } from '../../preload/contract';
import { DEFAULT_INVITE_LINK } from '../../preload/rules';
import { parseExpiry, tokenExpiry } from '../auth/duration';
import { parseOllamaKey } from '../auth/ollama-keys';
import { TokenService, type CreatedToken } from '../auth/tokens';
import { GatehouseError, UsageError } from '../errors';
import type { Actor } from '../metering/records';
import type { InviteRow } from '../store/invites-repo';
import type { Store } from '../store/store';
import type { InviteState, InviteView } from '../../preload/types';
export type { InviteState, InviteView } from '../../preload/types';

/** The token policy an invite carries (the createToken arguments without the name). */
export type InvitePolicy = Omit<Args<'createToken'>, 'name'>;


const refused = () =>
  new GatehouseError('INVITE_INVALID', 'This invite link does not work: it was already used, has expired or was withdrawn, or it was not copied whole.', 'Ask the person who sent it for a new one.');

/**
 * One-time invites: a URL whose secret sits in the fragment (never sent to a server, so never in a
 * log), redeemed once for a token with the invite's policy. Only the secret's hash is stored.
 */
export class Invites {
  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
  ) {}

  async create(input: { name: string; expiresIn?: string | undefined; policy: InvitePolicy }, endpoint: string, actor: Actor) {
    const name = input.name.trim();
    if (!name || name.length > 64) throw new UsageError('An invite needs a name of 1 to 64 characters, such as "bob-laptop".');
    const now = this.clock();
    const expiresAt = parseExpiry(input.expiresIn ?? DEFAULT_INVITE_LINK, now);
    tokenExpiry(input.policy.expiresIn, now); // a token expiry that cannot be read fails now, not when the teammate accepts
    const id = `inv_${randomBytes(6).toString('hex')}`;
    const secret = randomBytes(32).toString('base64url');
    this.store.audited({ at: now, actor, action: 'invite.created', target: name, detail: `expires ${new Date(expiresAt).toISOString()}` }, () =>
      this.store.invites.insert({ id, secretHash: sha256(secret).toString('hex'), name, policy: JSON.stringify(input.policy), createdAt: now, expiresAt }),
    );
    const url = `${endpoint}/invite/${id}#${secret}`;
    return { invite: this.view(this.store.invites.get(id)!), url, qrDataUrl: await QRCode.toDataURL(url, { errorCorrectionLevel: 'M', margin: 2, width: 280 }) };
  }

  /**
   * The text the owner sends with the link. It carries the CA fingerprint, so the teammate can
   * check the certificate against something that did not come from the page it protects, and says
   * what to expect first: the browser's warning until Gatehouse's certificate is trusted.
   */
  static message(invite: InviteView, url: string, caFingerprint: string | null): string {
    const lines = [
      `${invite.name}: here is your invite to Gatehouse, a shared Ollama. The link works once, until ${new Date(invite.expiresAt).toUTCString()}:`,
      url,
    ];
    if (caFingerprint) {
      lines.push(
        '',
        "Your browser will first warn that the connection is not private: it does not know Gatehouse's own certificate yet. Before you continue, check that the certificate's SHA-256 fingerprint is:",
        caFingerprint,
        'The page then shows how to trust it on your computer.',
      );
    }
    return lines.join('\n');
  }

  list(): InviteView[] {
    return this.store.invites.all().map((r) => this.view(r));
  }

  revoke(id: string, actor: Actor): InviteView {
    const row = this.store.invites.get(id);
    if (!row) throw new GatehouseError('INVITE_NOT_FOUND', `There is no invite ${id}.`);
    this.store.audited({ actor, action: 'invite.revoked', target: row.name }, () => this.store.invites.revoke(id, this.clock()));
    return this.view(this.store.invites.get(id)!);
  }

  /** What the invite page shows before "Accept": the name and whether it can still be used. */
  info(id: string): Pick<InviteView, 'name' | 'state' | 'expiresAt'> {
    const row = /^inv_[0-9a-f]{12}$/.test(id) ? this.store.invites.get(id) : undefined;
    if (!row) throw refused();
    const { name, state, expiresAt } = this.view(row);
    return { name, state, expiresAt };
  }

  /** Redeems the invite once: the token is created and the invite marked used in one transaction. */
  redeem(id: string, secret: unknown, ollamaKey?: string): CreatedToken {
    // A key that cannot be read is the teammate's typo, not a failed invite: it changes nothing.
    if (ollamaKey !== undefined && ollamaKey.trim() !== '') parseOllamaKey(ollamaKey);
    const row = /^inv_[0-9a-f]{12}$/.test(id) ? this.store.invites.get(id) : undefined;
    if (!row || typeof secret !== 'string' || secret.length > 100 || !timingSafeEqual(sha256(secret), Buffer.from(row.secretHash, 'hex'))) throw refused();
    if (this.view(row).state !== 'pending') throw refused();
    const now = this.clock();
    const tokens = new TokenService(this.store, { actor: 'api', clock: this.clock });
    const policy = JSON.parse(row.policy) as InvitePolicy;
    const redeem = this.store.db.transaction(() => {
      const taken = new Set(tokens.list().filter((t) => t.revokedAt === null).map((t) => t.name));
      let name = row.name;
      for (let n = 2; taken.has(name); n++) name = `${row.name}-${n}`;
      const { expiresIn, ...rest } = policy;
      const keys = ollamaKey?.trim() ? { ollamaKeys: [ollamaKey] } : {};
      const created = tokens.create({ ...rest, ...keys, name, expiresAt: tokenExpiry(expiresIn, now) });
      if (!this.store.invites.redeem(id, created.record.id, now)) throw refused();
      this.store.metering.audit({ at: now, actor: 'api', action: 'invite.redeemed', target: row.name, detail: `token ${name}` });
      return created;
    });
    try {
      return redeem();
    } finally {
      // The token service told the caches mid-transaction; tell them again what was kept.
      this.store.changed();
    }
  }

  private view(r: InviteRow): InviteView {
    const state: InviteState = r.revokedAt ? 'revoked' : r.redeemedAt ? 'redeemed' : r.expiresAt <= this.clock() ? 'expired' : 'pending';
    const tokenName = r.redeemedTokenId ? (this.store.tokens.find(r.redeemedTokenId)?.name ?? null) : null;
    return { id: r.id, name: r.name, state, createdAt: r.createdAt, expiresAt: r.expiresAt, redeemedAt: r.redeemedAt, tokenName };
  }
}
