import QRCode from 'qrcode';
import { isWellFormedToken } from '../auth/token-format';
import { UsageError } from '../errors';
import { Invites } from '../share/invites';
import { clientSnippets, sharePayload } from '../../preload/snippets';
import type { HandlerContext, Handlers } from './context';

/** Handing the endpoint to teammates: QR bundles, the CA certificate, and invite links. */
export function shareHandlers(ctx: HandlerContext): Pick<Handlers, 'getShareInfo' | 'shareBundle' | 'getCaCertificate' | 'createInvite' | 'listInvites' | 'revokeInvite'> {
  /** Only an address this Gatehouse serves goes into a QR code or an invite. */
  const servedEndpoint = (endpoint: string) => {
    const known = ctx.endpoints().map((e) => e.url);
    if (!known.includes(endpoint)) throw new UsageError(`${endpoint} is not an address this Gatehouse serves.`, `Pick one of: ${known.join(', ')}`);
    return endpoint;
  };
  return {
    getShareInfo: () => ({
      endpoints: ctx.endpoints().filter((e) => !e.url.includes('//localhost')),
      caFingerprint: ctx.caFingerprint(),
    }),
    shareBundle: async ({ endpoint, token, model }) => {
      if (!isWellFormedToken(token)) throw new UsageError('That is not a Gatehouse token: check that it was copied whole.');
      servedEndpoint(endpoint);
      const ca = ctx.caFingerprint();
      const payload = sharePayload(endpoint, token, ca);
      return {
        payload,
        qrDataUrl: await QRCode.toDataURL(payload, { errorCorrectionLevel: 'M', margin: 2, width: 320 }),
        snippets: clientSnippets({ endpoint, token, model, localCa: ca !== null }),
      };
    },
    getCaCertificate: () => {
      const serving = ctx.serving?.();
      return serving?.caPem && serving.tls?.caFingerprint ? { pem: serving.caPem, fingerprint: serving.tls.caFingerprint } : null;
    },
    createInvite: async ({ name, expiresIn, endpoint, policy }, actor) => {
      const created = await ctx.invites.create({ name, expiresIn, policy }, servedEndpoint(endpoint), actor);
      return { ...created, message: Invites.message(created.invite, created.url, ctx.caFingerprint()) };
    },
    listInvites: () => ctx.invites.list(),
    revokeInvite: ({ id }, actor) => ctx.invites.revoke(id, actor),
  };
}
