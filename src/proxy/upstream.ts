// Which cluster a proxy request goes to, with whose credentials: the server's own (management) or the tenant's
// admin kubeconfig, checked as untrusted and cached per cluster by TenantClusterAccess.
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.js';
import type { TenantClusterAccess } from '../kube/tenant-access.js';
import type { ProxyTarget } from './proxy-url.js';

export interface Upstream {
  api: 'management' | 'tenant';
  /** Shared client (keep-alive connections reused); never closed here. */
  client: KubeClient;
  /** The client's KubeConfig: its connect options (credentials.ts) serve upgrade connections. */
  kubeConfig: KubeConfig;
}

export interface UpstreamResolverOptions {
  management: KubeClient;
  /** The management cluster's KubeConfig (the one `management` was built from). */
  managementKubeConfig: KubeConfig;
  tenants: TenantClusterAccess;
}

export type ResolveUpstream = (target: ProxyTarget) => Promise<Upstream>;

export function createUpstreamResolver(o: UpstreamResolverOptions): ResolveUpstream {
  return async (target) => {
    if (target.kind === 'management') {
      return { api: 'management', client: o.management, kubeConfig: o.managementKubeConfig };
    }
    // 404 unknown cluster / not available yet, 502 unusable kubeconfig or blocked address.
    const tenant = await o.tenants.getTenantKubeconfig(target.namespace, target.cluster);
    return {
      api: 'tenant',
      client: tenant.client,
      kubeConfig: tenant.kc,
    };
  };
}
