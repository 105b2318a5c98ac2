// The REST API of docs/api.md §3 as one Fastify plugin: schemas beside each route, validated by the contract's
// messages (validation/compiler.ts), and the OpenAPI document generated from the same schemas.
import type { App } from '../http/app-type.js';
import fp from 'fastify-plugin';
import type { Config } from '../config/types.js';
import { PROVIDER_CONFIGS, TENANT_CLUSTERS } from '../kube/butler.js';
import type { Services } from '../services.js';
import { registerAddonRoutes } from './addons.js';
import { registerAuditQueryRoutes } from './audit-query.js';
import { registerIpPoolRoutes } from './ip-pools.js';
import { registerNotConfiguredRoutes } from './not-configured.js';
import { registerPlatformConfigRoutes } from './platform-config.js';
import { registerProviderDiscoveryRoutes } from './provider-discovery.js';
import { registerCatalogRoutes } from './catalog.js';
import { registerCertificateRoutes } from './certificates.js';
import { registerClusterDetailRoutes } from './cluster-details.js';
import { registerClusterEditRoutes } from './cluster-edit.js';
import { registerClusterResourceRoutes } from './cluster-resources.js';
import { registerClusterRoutes } from './clusters.js';
import type { ApiContext } from './context.js';
import { registerKubectlAccessRoutes } from './kubectl-access.js';
import { registerManagementAddonRoutes } from './management-addons.js';
import { registerManagementRoutes } from './management.js';
import { registerOpenApiRoute } from './openapi.js';
import { registerProviderRoutes } from './providers.js';

export interface ApiPluginOptions {
  config: Config;
  services: Pick<
    Services,
    'kube' | 'kubeFor' | 'clusterCache' | 'providerCache' | 'tenants' | 'checks' | 'clusterViews' | 'identity' | 'audit'
  >;
}

async function apiPluginImpl(app: App, opts: ApiPluginOptions): Promise<void> {
  const { config, services } = opts;
  const { kube, clusterCache, providerCache } = services;
  const ctx: ApiContext = {
    config,
    kube,
    clusters: clusterCache,
    providers: providerCache,
    tenants: services.tenants,
    checks: services.checks,
    reads: {
      clusters: { type: TENANT_CLUSTERS, cache: clusterCache, kube },
      providers: { type: PROVIDER_CONFIGS, cache: providerCache, kube },
    },
    clusterViews: services.clusterViews,
    identity: services.identity,
    audit: services.audit,
    kubeFor: services.kubeFor,
  };

  registerClusterRoutes(app, ctx);
  registerClusterDetailRoutes(app, ctx);
  registerClusterEditRoutes(app, ctx);
  registerClusterResourceRoutes(app, ctx);
  registerCertificateRoutes(app, ctx);
  registerAddonRoutes(app, ctx);
  registerManagementRoutes(app, ctx);
  registerManagementAddonRoutes(app, ctx);
  registerCatalogRoutes(app, ctx);
  registerKubectlAccessRoutes(app, ctx);
  registerProviderRoutes(app, ctx);
  registerProviderDiscoveryRoutes(app, ctx);
  registerPlatformConfigRoutes(app, ctx);
  registerIpPoolRoutes(app, ctx);
  registerAuditQueryRoutes(app, ctx);
  registerNotConfiguredRoutes(app, ctx);
  registerOpenApiRoute(app, () => app.registeredRoutes, config.version);
}

// Encapsulated: its validator compiler applies to the REST routes only.
export const apiPlugin = fp(apiPluginImpl, {
  name: 'butler-api',
  fastify: '5.x',
  dependencies: ['butler-auth'],
  decorators: { fastify: ['registeredRoutes'] },
  encapsulate: true,
});
