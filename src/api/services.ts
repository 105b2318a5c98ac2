// Long-lived services of the API: the ProviderConfig watch cache, tenant cluster access and the provider check
// service. Built once per process by buildServices as `services.api`: the terminal and proxy capabilities share the
// tenant clients.
import type { Config } from '../config/types.js';
import { createResourceCache, type KubeObject } from '../kube/cache.js';
import { createTenantClusterAccess } from '../kube/tenant-access.js';
import { createProviderCheckService } from '../providers/service.js';
import type { Services } from '../services.js';
import type { ApiContext } from './context.js';

/** Services of the API that other capabilities may share (tenant access for terminals and the proxy). */
export interface ApiServices {
  providers: ApiContext['providers'];
  tenants: ApiContext['tenants'];
  checks: ApiContext['checks'];
  close(): void;
}

export function createApiServices(
  config: Config,
  services: Pick<Services, 'kube' | 'clusterCache' | 'metrics'> & Partial<Pick<Services, 'log'>>,
): ApiServices {
  const providers = createResourceCache<KubeObject>(services.kube, {
    path: '/apis/butler.butlerlabs.dev/v1alpha1/providerconfigs',
    name: 'providerconfigs',
  });
  providers.start();
  const checks = createProviderCheckService(config.providers, (provider, result) =>
    services.metrics.providerChecks.inc({ provider, result }),
  );
  const tenants = createTenantClusterAccess(services.kube, {
    tenantTimeoutMs: config.tenantTimeoutMs,
    guard: checks.guard,
    getCluster: (ns, name) => (services.clusterCache.synced ? services.clusterCache.get(ns, name) : undefined),
    ...(services.log ? { logger: services.log.child({ component: 'tenants' }) } : {}),
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
