/**
 * The access checks, one named plugin each, in the order a request meets them:
 * request context → landing page (browsers on GET /) → CORS → pause gate → token auth → route guard → limits → model policy → upstream routing → fair queue.
 */
export { requestContext, type RequestContext, type RequestContextOptions } from './request-context';
export { cors } from './cors';
export { landingPage } from './landing';
export { pauseGate, PAUSED_MESSAGE } from './pause-gate';
export { tokenAuth, type TokenAuthOptions } from './token-auth';
export { routeGuard } from './route-guard';
export { limits } from './limits';
export { modelPolicy, type ModelPolicyOptions } from './model-policy';
export { upstreamRouting, type UpstreamRoutingOptions } from './upstream-routing';
export { fairQueue, type FairQueueOptions } from './fair-queue';
