import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { aclFor } from '../../auth/model-acl';
import { parseRegistryList } from '../../auth/registries';
import type { Settings } from '../../config/settings';
import { readFormFields } from '../form-fields';
import { checkModels } from '../model-check';
import { sendProblem } from '../problems';
import { ROUTE_GUARD } from './route-guard';

export interface ModelPolicyOptions {
  settings: () => Readonly<Settings>;
  /** Whether a model runs elsewhere (a cloud model): those need the token's cloud permission. */
  isRemote: (canonical: string) => boolean;
}

/**
 * Where the model ACL is applied: once the body is read (and before anything reaches Ollama),
 * every model a request names, in its path or its JSON, must be one the token may use, from a
 * registry on the allow-list, and local unless the token may use cloud models.
 */
export const modelPolicy = fp(
  (scope: FastifyInstance, options: ModelPolicyOptions, done: () => void) => {
    let registryList = { text: '', hosts: [] as string[] };
    const registries = () => {
      const text = options.settings().registryAllowList;
      if (text !== registryList.text) registryList = { text, hosts: parseRegistryList(text) };
      return registryList.hosts;
    };
    /** Applies the verdict; true when the request may go on. */
    const apply = (request: FastifyRequest, reply: FastifyReply, form?: ReadonlyMap<string, string[]>): boolean => {
      const context = request.gatehouse;
      const match = context.match!;
      const body = Buffer.isBuffer(request.body) ? request.body : undefined;
      const policy = { acl: aclFor(context.token), tokenName: context.token?.name ?? 'this computer', registries: registries(), isRemote: options.isRemote };
      const verdict = checkModels(match.route, match.params, body, policy, form);
      if (!verdict.ok) {
        const { problem } = verdict;
        if (problem.status === 403) reply.refuse(problem.code === 'model_denied' ? 'model_denied' : 'scope_denied', problem);
        else sendProblem(reply, problem);
        return false;
      }
      context.models = verdict.models;
      if (verdict.body) context.body = verdict.body;
      return true;
    };
    scope.addHook('preHandler', (request, reply, next) => {
      const route = request.gatehouse.match?.route;
      if (!route?.models && !route?.cloud) return next();
      if (!route.form) return void (apply(request, reply) && next());
      // A form (an audio upload) is read for its text fields first; only those are kept.
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      void readFormFields(body, request.headers['content-type']).then((read) => {
        if (!read.ok) return void sendProblem(reply, { status: 400, code: 'bad_request', message: read.message });
        if (apply(request, reply, read.fields)) next();
      });
    });
    done();
  },
  { name: 'gatehouse-model-policy', dependencies: [ROUTE_GUARD], fastify: '5.x' },
);
