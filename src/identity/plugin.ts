// The identity capability: the /api/auth, /api/users and /api/teams routes, and the policy hook that applies the
// permission matrix (policy.ts) to every route of the app.
import type { App } from '../http/app-type.js';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/types.js';
import { forbidden } from '../http/errors.js';
import type { KubeObject, ResourceCache } from '../kube/cache.js';
import type { KubeClient } from '../kube/client.js';
import { TENANT_CLUSTERS } from '../kube/butler.js';
import { getCached } from '../kube/cached-read.js';
import { createSsoAuthHooks } from '../sso/auth-hooks.js';
import type { SsoServices } from '../sso/services.js';
import { registerAuthRoutes } from './auth-routes.js';
import { clusterTeam, type TeamClusterViews } from './cluster-teams.js';
import { checkCluster, checkRule, ruleFor } from './policy.js';
import type { IdentityServices } from './services.js';
import { registerTeamRoutes } from './team-routes.js';
import { registerUserRoutes } from './user-routes.js';

export interface IdentityPluginOptions {
  config: Config;
  services: {
    kube: KubeClient;
    clusterCache: ResourceCache<KubeObject>;
    identity: IdentityServices;
    clusterViews: TeamClusterViews;
    /** Single sign-on (provider list, IdP logout, group refresh); absent in tests that build only identity. */
    sso?: SsoServices;
    /** The management client for a write made on behalf of the request's user (impersonating that user). */
    kubeFor: (request: FastifyRequest) => KubeClient;
  };
}

/** The team of the TenantCluster ns/name (undefined: team-less), or null when it does not exist. */
export async function lookupClusterTeam(
  o: { kube: KubeClient; clusterCache: ResourceCache<KubeObject> },
  ns: string,
  name: string,
): Promise<string | undefined | null> {
  const cluster = await getCached({ type: TENANT_CLUSTERS, cache: o.clusterCache, kube: o.kube }, ns, name);
  return cluster ? clusterTeam(cluster) : null;
}

async function identityPluginImpl(app: App, opts: IdentityPluginOptions): Promise<void> {
  const { config, services } = opts;
  const { kubeFor } = services;

  // The permission matrix, for every route of the app (registered without encapsulation, so it sees them all).
  app.addHook('preValidation', async (request) => {
    const url = request.routeOptions.url;
    if (url === undefined) return; // unmatched: the 404/405 answer
    // A route outside the table may carry its own rule (routes tests add); the permission-matrix test still requires
    // every route of the real app to be in the table.
    const rule = ruleFor(request.method, url) ?? request.routeOptions.config.accessRule;
    if (!rule) throw forbidden('forbidden: this route has no access rule');
    if (rule.kind === 'public') return;
    const p = request.principal;
    // Without a principal the auth hook has answered already, or the route decides itself (terminals, /ws/clusters).
    if (!p) return;
    const params = (request.params ?? {}) as Record<string, string>;
    checkRule(p, rule, params);
    if (rule.kind === 'cluster') {
      const team = await lookupClusterTeam(services, params.ns ?? '', params.name ?? '');
      // A cluster that does not exist: the route answers its own 404.
      if (team !== null) checkCluster(p, team, rule.op);
    }
  });

  registerAuthRoutes(app, {
    config,
    identity: services.identity,
    clusterViews: services.clusterViews,
    ...(services.sso
      ? {
          sso: createSsoAuthHooks({ config, sso: services.sso, kube: services.kube, users: services.identity.users }),
        }
      : {}),
  });
  registerUserRoutes(app, { config, identity: services.identity });
  registerTeamRoutes(app, {
    identity: services.identity,
    clusters: services.clusterCache,
    clusterViews: services.clusterViews,
    kubeFor,
  });
}

// Not encapsulated: the permission hook must see every route of the app.
export const identityPlugin = fp(identityPluginImpl, {
  name: 'butler-identity',
  fastify: '5.x',
  dependencies: ['butler-auth'],
  decorators: { request: ['principal'] },
});
