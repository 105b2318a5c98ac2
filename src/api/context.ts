// What the API routes use: configuration, the management client, the watch caches, tenant access, provider checks.
import type { App } from '../http/app-type.js';
import type { Config } from '../config/types.js';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject, ResourceCache } from '../kube/cache.js';
import type { CachedSource } from '../kube/cached-read.js';
import type { TenantClusterAccess } from '../kube/tenant-access.js';
import type { ProviderCheckService } from '../providers/service.js';
import type { TeamClusterViews } from '../identity/cluster-teams.js';
import type { IdentityServices } from '../identity/services.js';
import type { AuditStore } from '../observability/audit-store.js';

export interface ApiContext {
  config: Config;
  kube: KubeClient;
  clusters: ResourceCache<KubeObject>;
  providers: ResourceCache<KubeObject>;
  tenants: TenantClusterAccess;
  checks: ProviderCheckService;
  /** The cached read path (src/kube/cached-read.ts) of the two watched resources. */
  reads: { clusters: CachedSource<KubeObject>; providers: CachedSource<KubeObject> };
  /** Team-filtered cluster lists. */
  clusterViews: TeamClusterViews;
  identity: IdentityServices;
  /** The queryable audit store of this replica. */
  audit: AuditStore;
  /**
   * The management client for a write made on behalf of the request's user (it impersonates that user); every
   * create, update, patch and delete a user asks for goes through it. `kube` is the server's own identity: reads,
   * status bookkeeping, the server's own Secrets.
   */
  kubeFor(request: import('fastify').FastifyRequest): KubeClient;
}

export type RouteModule = (app: App, ctx: ApiContext) => void;

/** Read-your-writes bound: how long a write's answer waits for the cache to see it. */
export const WRITE_VISIBILITY_TIMEOUT_MS = 3000;

export async function waitVisible(cache: ResourceCache<KubeObject>, obj: unknown): Promise<void> {
  const rv = (obj as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
  if (rv && cache.synced) await cache.waitForResourceVersion(rv, WRITE_VISIBILITY_TIMEOUT_MS);
}
