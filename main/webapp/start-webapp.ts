import type { FastifyInstance } from 'fastify';
import type { Closer } from '../closer';
import type { Services } from '../core-services';
import { listenError } from '../gateway/listen-error';
import type { Logger } from '../log';
import { publicUrls } from '../share/endpoints';
import { buildWebappGate } from './webapp-gate';
import { WebSessions } from './web-sessions';
import { WebUsage } from './web-usage';

export interface WebappInfo {
  urls: string[];
  port: number;
  upstream: string;
}

/**
 * Starts the web app gate when one is set (webappUpstream), on its own port with the gateway's
 * certificate. It needs TLS: its session cookie is Secure, and a token is typed into its page.
 */
export async function startWebapp(services: Services, run: { useTls: boolean; log: Logger; closer: Closer }): Promise<{ info: WebappInfo; app: FastifyInstance } | null> {
  const settings = services.settings();
  if (!settings.webappUpstream) return null;
  if (!run.useTls || !services.material) {
    run.log.warn('The web app gate needs TLS (its sign-in cookie is Secure); it is not started with --no-tls.');
    return null;
  }
  const sessions = new WebSessions((id) => services.verifier.token(id));
  const usage = run.closer.own(new WebUsage((entry) => services.metering.audit(entry)), (u) => u.close());
  const app = await buildWebappGate({
    settings: services.settings,
    verifier: services.verifier,
    sessions,
    store: services.store,
    security: services.security,
    hostNames: services.hostNames,
    isLocalClient: services.isLocalClient,
    https: { key: services.material.key, cert: services.material.cert },
    usage,
  });
  run.closer.defer(() => app.close());
  const { host, webappPort } = settings;
  try {
    await app.listen({ host, port: webappPort });
  } catch (err) {
    throw listenError(err, host, webappPort);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : webappPort;
  return { info: { urls: publicUrls(services.material.name, 'https', host, port), port, upstream: settings.webappUpstream }, app };
}

