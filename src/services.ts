// The composition root: every long-lived service of the process, built once from the Config, with one lifecycle.
//
//   config ─► log, metrics
//          ─► managementKubeConfig ─► kube (management client) ─► revocations (ConfigMaps)
//                                                             ─► clusterCache (TenantClusters)
//                                                             ─► providerCache (ProviderConfigs)
//          ─► checks (provider checks + address guard) ─► tenants (tenant cluster access, uses clusterCache)
//          ─► sso (IdentityProvider registry, sign-in flow) ─► identity (group → platform role from the registry)
//
// buildServices() builds; start() starts every watch cache and store exactly once; close() stops them. Plugins take
// the narrow slice they use (`Pick<Services, …>`), never the whole object. main.ts, the test harness and the demo
// build exactly this.
import type { KubeConfig } from '@kubernetes/client-node';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { createRevocationStore, type RevocationStore } from './auth/revocations.js';
import type { Config } from './config/types.js';
import { revocationReadiness, type ReadinessCheck } from './health/readiness.js';
import { paths } from './kube/butler.js';
import { createResourceCache, type KubeObject, type ResourceCache } from './kube/cache.js';
import { createKubeClient, type KubeClient } from './kube/client.js';
import { userImpersonation, type Impersonation } from './kube/impersonation.js';
import { loadManagementKubeConfig } from './kube/connection.js';
import { createTenantClusterAccess, type TenantClusterAccess } from './kube/tenant-access.js';
import { createServerLogger } from './observability/audit.js';
import { createAuditStore, type AuditStore } from './observability/audit-store.js';
import { errorMessage } from './observability/logger.js';
import { createMetrics, instrumentKubeClient, type Metrics } from './observability/metrics.js';
import { createProviderCheckService, type ProviderCheckService } from './providers/service.js';
import { createSsoServices, type SsoServices } from './sso/services.js';
import { watchClusterNotifications } from './identity/cluster-notifications.js';
import { createTeamClusterViews, type TeamClusterViews } from './identity/cluster-teams.js';
import { createIdentityServices, type IdentityServices } from './identity/services.js';

export interface Services {
  /** Logger for background work (watches, clean-ups) that has no request. */
  log: Logger;
  /** Prometheus registry and series of this instance (src/observability/metrics.ts). */
  metrics: Metrics;
  /** The queryable audit store (GET /api/admin/audit), fed by the audit lines of every logger of this instance. */
  audit: AuditStore;
  /** The management cluster's credentials, loaded once: the client, the proxy's upgrades and pod exec share them. */
  managementKubeConfig: KubeConfig;
  /** The management cluster's client (instrumented). */
  kube: KubeClient;
  revocations: RevocationStore;
  /** TenantClusters (all namespaces): REST reads, /ws/clusters, tenant access. */
  clusterCache: ResourceCache<KubeObject>;
  /** ProviderConfigs (all namespaces): REST reads and metrics. */
  providerCache: ResourceCache<KubeObject>;
  /** Tenant cluster clients from their kubeconfig Secrets, shared by the API, terminals and the proxy. */
  tenants: TenantClusterAccess;
  /** Provider connectivity checks and the outbound address guard. */
  checks: ProviderCheckService;
  /** Users, teams, the per-request principal resolver and notifications (src/identity/). */
  identity: IdentityServices;
  /** Single sign-on: IdentityProvider registry, sign-in flow, IdP session cookie (src/sso/). */
  sso: SsoServices;
  /** Team-filtered views of the TenantCluster cache (serialised once per change). */
  clusterViews: TeamClusterViews;
  /** What /readyz asks besides the Kubernetes API itself: the revocation store and the caches have synced. */
  readiness: ReadinessCheck[];
  /**
   * Whom a user's request to the management cluster impersonates: the session's user (`userImpersonation(email)` of
   * src/kube/impersonation.ts: the email, groups butler-api-users and system:authenticated); undefined (no session,
   * empty email): nobody, the server's own identity. Used by kubeFor and the Kubernetes API proxy.
   */
  impersonationFor: (request: FastifyRequest) => Impersonation | undefined;
  /**
   * The management client for a write made on behalf of the request's user: `kube.as(impersonationFor(request))`, so
   * the management cluster's RBAC, admission webhooks and audit log see the human; `kube` when there is nobody to
   * impersonate. Reads through the watch caches, status bookkeeping and the server's own Secrets stay on `kube`.
   */
  kubeFor: (request: FastifyRequest) => KubeClient;
  /** Starts every watch cache and store (once; later calls do nothing). Their first sync runs in the background. */
  start(): void;
  /** Stops watches and timers and closes connections; safe to call more than once. */
  close(): Promise<void>;
}

export interface BuildServicesOptions {
  /** Where the services' JSON log lines go (default stdout); tests pass the same stream as to buildApp. */
  logStream?: NodeJS.WritableStream;
}

export async function buildServices(config: Config, opts: BuildServicesOptions = {}): Promise<Services> {
  const audit = openAuditStore(config, (err) =>
    log.error({ error: errorMessage(err) }, 'audit store: cannot write to BUTLER_AUDIT_DIR; keeping entries in memory'),
  );
  const log = createServerLogger(config, audit, opts.logStream);
  const metrics = createMetrics();
  const managementKubeConfig = loadManagementKubeConfig(config.kube);
  const kube = instrumentKubeClient(
    createKubeClient(managementKubeConfig, { timeoutMs: config.kubeTimeoutMs, name: 'management' }),
    metrics,
  );
  const revocations = createRevocationStore(kube, config, { log: log.child({ component: 'revocations' }) });
  const cacheLog = log.child({ component: 'cache' });
  const clusterCache = createResourceCache<KubeObject>(kube, {
    path: paths.tenantClusters(),
    name: 'tenantclusters',
    logger: cacheLog,
  });
  const providerCache = createResourceCache<KubeObject>(kube, {
    path: paths.providerConfigs(),
    name: 'providerconfigs',
  });
  const checks = createProviderCheckService(config.providers, (provider, result) =>
    metrics.providerChecks.inc({ provider, result }),
  );
  const tenants = createTenantClusterAccess(kube, {
    tenantTimeoutMs: config.tenantTimeoutMs,
    guard: checks.guard,
    getCluster: (ns, name) => (clusterCache.synced ? clusterCache.get(ns, name) : undefined),
    logger: log.child({ component: 'tenants' }),
  });
  const readiness: ReadinessCheck[] = [
    { name: 'revocations', check: async () => revocationReadiness(revocations, config.auth.revocationStaleAfterMs) },
    { name: 'caches', check: async () => (clusterCache.synced ? null : 'tenantclusters cache not synced') },
  ];

  const sso = createSsoServices(config, { kube, log });
  readiness.push({
    name: 'identity-providers',
    check: async () => (sso.registry.synced ? null : 'identity providers cache not synced'),
  });
  const identity = createIdentityServices(config, {
    kube,
    log,
    groupPlatformRole: (id) => sso.registry.platformRoleFor(id.idp, id.groups),
  });
  readiness.push({
    name: 'identity',
    check: async () => (identity.synced ? null : 'users and teams caches not synced'),
  });
  const clusterViews = createTeamClusterViews(clusterCache);
  let stopClusterNotifications: (() => void) | undefined;

  let started = false;
  let closing: Promise<void> | undefined;
  const services: Services = {
    log,
    metrics,
    audit,
    managementKubeConfig,
    kube,
    revocations,
    clusterCache,
    providerCache,
    tenants,
    checks,
    identity,
    sso,
    clusterViews,
    readiness,
    impersonationFor: (request) => userImpersonation(request.principal?.identity.email ?? request.session?.email),
    // Reads services.impersonationFor on every call, so a replaced one (tests) applies everywhere.
    kubeFor(request) {
      const who = services.impersonationFor(request);
      return who ? kube.as(who) : kube;
    },
    start() {
      if (started || closing) return;
      started = true;
      clusterCache.start();
      providerCache.start();
      sso.start();
      identity.start();
      stopClusterNotifications = watchClusterNotifications(clusterCache, identity.notifications);
      // The revocation store's first LIST runs in the background: /readyz and authenticated requests answer 503
      // until it syncs.
      revocations.start().catch((err: unknown) => {
        // start() gives up only when the store is stopped, which is part of shutting down.
        if (!closing) log.error({ error: errorMessage(err) }, 'revocation store failed');
      });
    },
    close() {
      closing ??= (async () => {
        providerCache.stop();
        tenants.close();
        stopClusterNotifications?.();
        identity.close();
        sso.close();
        clusterCache.stop();
        await revocations.stop();
        kube.close();
        audit.close();
      })();
      return closing;
    },
  };
  return services;
}

function openAuditStore(config: Config, onWriteError: (err: unknown) => void): AuditStore {
  try {
    return createAuditStore({
      ...(config.audit.dir !== undefined ? { dir: config.audit.dir } : {}),
      maxBytes: config.audit.maxBytes,
      onWriteError,
    });
  } catch (err) {
    throw new Error(`BUTLER_AUDIT_DIR: cannot use "${config.audit.dir}": ${errorMessage(err)}`);
  }
}
