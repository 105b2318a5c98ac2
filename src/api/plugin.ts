// The REST API of contract §3 as one Fastify plugin: schemas beside each route, validated by the contract's
// messages (validation/compiler.ts), and the OpenAPI document generated from the same schemas.
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { Config } from '../config/types.js';
import type { Services } from '../services.js';
import { registerAddonRoutes } from './addons.js';
import { registerCatalogRoutes } from './catalog.js';
import { registerClusterDetailRoutes } from './cluster-details.js';
import { registerClusterRoutes } from './clusters.js';
import type { ApiContext } from './context.js';
import { registerKubectlAccessRoutes } from './kubectl-access.js';
import { registerManagementAddonRoutes } from './management-addons.js';
import { registerManagementRoutes } from './management.js';
import { registerOpenApiRoute } from './openapi.js';
import { registerProviderRoutes } from './providers.js';
import { validatorCompiler } from './validation/compiler.js';

export interface ApiPluginOptions {
  config: Config;
  services: Services;
}

export async function apiPlugin(app: FastifyInstance, opts: ApiPluginOptions): Promise<void> {
  const { config, services } = opts;
  const { api } = services;
  const ctx: ApiContext = {
    config,
    kube: services.kube,
    clusters: services.clusterCache,
    providers: api.providers,
    tenants: api.tenants,
    checks: api.checks,
    clusterViews: services.clusterViews,
    identity: services.identity,
    kubeFor: () => services.kube,
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
  registerKubectlAccessRoutes(app, ctx);
  registerProviderRoutes(app, ctx);
  registerOpenApiRoute(app, () => routes, config.version);
}
