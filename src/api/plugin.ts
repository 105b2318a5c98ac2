// The REST API of contract §3 as one Fastify plugin: schemas beside each route, validated by the contract's
// messages (validation/compiler.ts), and the OpenAPI document generated from the same schemas.
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { Config } from '../config/types.js';
import { createResourceCache, type KubeObject } from '../kube/cache.js';
import { createTenantClusterAccess } from '../kube/tenant-access.js';
import { createProviderCheckService } from '../providers/service.js';
import type { Services } from '../services.js';
import { registerAddonRoutes } from './addons.js';
import { registerCatalogRoutes } from './catalog.js';
import { registerClusterDetailRoutes } from './cluster-details.js';
import { registerClusterRoutes } from './clusters.js';
import type { ApiContext } from './context.js';
import { registerManagementAddonRoutes } from './management-addons.js';
import { registerManagementRoutes } from './management.js';
import { registerOpenApiRoute } from './openapi.js';
import { registerProviderRoutes } from './providers.js';
import { validatorCompiler } from './validation/compiler.js';

export interface ApiPluginOptions {
  config: Config;
  services: Services;
}

/** Services of the API that other capabilities may share (tenant access for terminals and the proxy). */
export interface ApiServices {
  providers: ApiContext['providers'];
  tenants: ApiContext['tenants'];
  checks: ApiContext['checks'];
  close(): void;
}

export function createApiServices(config: Config, services: Pick<Services, 'kube' | 'clusterCache'>): ApiServices {
  const providers = createResourceCache<KubeObject>(services.kube, {
    path: '/apis/butler.butlerlabs.dev/v1alpha1/providerconfigs',
    name: 'providerconfigs',
  });
  providers.start();
  const checks = createProviderCheckService(config.providers);
  const tenants = createTenantClusterAccess(services.kube, {
    tenantTimeoutMs: config.tenantTimeoutMs,
    guard: checks.guard,
    getCluster: (ns, name) => (services.clusterCache.synced ? services.clusterCache.get(ns, name) : undefined),
  });
  return {
    providers,
    tenants,
    checks,
    close() {
      providers.stop();
      tenants.close();
    },
  };
}

export async function apiPlugin(app: FastifyInstance, opts: ApiPluginOptions): Promise<void> {
  const { config, services } = opts;
  const shared = (services as Services & { api?: ApiServices }).api;
  const own = shared ? undefined : createApiServices(config, services);
  const api = (shared ?? own)!;
  if (own) app.addHook('onClose', async () => own.close());

  const ctx: ApiContext = {
    config,
    kube: services.kube,
    clusters: services.clusterCache,
    providers: api.providers,
    tenants: api.tenants,
    checks: api.checks,
  };

  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  app.setValidatorCompiler(validatorCompiler);

  registerClusterRoutes(app, ctx);
  registerClusterDetailRoutes(app, ctx);
  registerAddonRoutes(app, ctx);
  registerManagementRoutes(app, ctx);
  registerManagementAddonRoutes(app, ctx);
  registerCatalogRoutes(app, ctx);
  registerProviderRoutes(app, ctx);
  registerOpenApiRoute(app, () => routes, config.version);
}
