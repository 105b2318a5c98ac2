// The composition root: every long-lived service the app uses, built once from the Config.
// Tests and the demo build exactly these; capabilities add their services here.

import type { Logger } from 'pino';
import type { Config } from './config/types.js';
import { logDestination } from './observability/audit.js';
import { createLogger, formattedStream } from './observability/logger.js';
import { createMetrics, instrumentKubeClient, type Metrics } from './observability/metrics.js';
import { createRevocationStore, type RevocationStore } from './auth/revocations.js';
import { createKubeClient, type KubeClient } from './kube/client.js';
import { loadManagementKubeConfig } from './kube/connection.js';
import { createResourceCache, type KubeObject, type ResourceCache } from './kube/cache.js';
import { createApiServices, type ApiServices } from './api/services.js';
import { createIdentityServices, type IdentityServices } from './identity/services.js';
import { createSsoServices, type SsoServices } from './sso/services.js';
import { createTeamClusterViews, type TeamClusterViews } from './identity/cluster-teams.js';
import { watchClusterNotifications } from './identity/cluster-notifications.js';

/**
 * One readiness condition for /readyz: resolves null when ready, a short reason when not ready, or a status to show
 * while still ready (e.g. a problem within its grace period).
 */
export interface ReadinessCheck {
  name: string;
  check(): Promise<string | null | { ready: true; status: string }>;
}

/**
 * Not ready before the first LIST, and when revocations from other replicas have not been received for
 * `staleAfterMs` (BUTLER_REVOCATION_STALE_AFTER): a token logged out elsewhere would still be accepted here.
 */
export function revocationReadiness(
  store: RevocationStore,
  staleAfterMs: number,
  now = Date.now(),
): string | null | { ready: true; status: string } {
  if (!store.synced) return 'revocation store not synced';
  const health = store.health();
  if (health.receiving) return null;
  const seconds = Math.max(0, Math.floor((now - health.since) / 1000));
  const status = `not received for ${seconds}s (${health.error})`;
  return now - health.since >= staleAfterMs ? status : { ready: true, status };
}

export interface Services {
  /** Logger for background work (watches, clean-ups) that has no request. */
  log: Logger;
  kube: KubeClient;
  /** Prometheus registry and series of this instance (src/observability/metrics.ts). */
  metrics: Metrics;
  revocations: RevocationStore;
  /** TenantClusters (all namespaces): REST reads and /ws/clusters. */
  clusterCache: ResourceCache<KubeObject>;
  /** ProviderConfig cache, tenant cluster access and provider checks, shared by the API, terminals and the proxy. */
  api: ApiServices;
  /** Users, teams, the per-request principal resolver and notifications (src/identity/). */
  identity: IdentityServices;
  /** Single sign-on: IdentityProvider registry, sign-in flow, IdP session cookie (src/sso/). */
  sso: SsoServices;
  /** Team-filtered views of the TenantCluster cache (serialised once per change). */
  clusterViews: TeamClusterViews;
  readiness: ReadinessCheck[];
  /** Stops watches and timers and closes connections; safe to call more than once. */
  close(): Promise<void>;
}

export interface BuildServicesOptions {
  /** Where the services' JSON log lines go (default stdout); tests pass the same stream as to buildApp. */
  logStream?: NodeJS.WritableStream;
}

export async function buildServices(config: Config, opts: BuildServicesOptions = {}): Promise<Services> {
  const log = createLogger(
    config.logLevel,
    logDestination(config.audit, formattedStream(config.logFormat, opts.logStream)),
  );
  const metrics = createMetrics();
  const kube = instrumentKubeClient(
    createKubeClient(loadManagementKubeConfig(config.kube), {
      timeoutMs: config.kubeTimeoutMs,
      name: 'management',
    }),
    metrics,
  );
  const revocations = createRevocationStore(kube, config, { log: log.child({ component: 'revocations' }) });
  const readiness: ReadinessCheck[] = [
    {
      name: 'revocations',
      check: async () => revocationReadiness(revocations, config.auth.revocationStaleAfterMs),
    },
  ];
  // Capability services (cluster cache, terminals, …) are created here and their readiness checks appended.
  const clusterCache = createResourceCache<KubeObject>(kube, {
    path: '/apis/butler.butlerlabs.dev/v1alpha1/tenantclusters',
    name: 'tenantclusters',
    logger: log.child({ component: 'cache' }),
  });
  clusterCache.start();
  readiness.push({
    name: 'caches',
    check: async () => (clusterCache.synced ? null : 'tenantclusters cache not synced'),
  });

  const sso = createSsoServices(config, { kube, log });
  sso.start();
  readiness.push({
    name: 'identity-providers',
    check: async () => (sso.registry.synced ? null : 'identity providers cache not synced'),
  });
  const identity = createIdentityServices(config, {
    kube,
    log,
    groupPlatformRole: (id) => sso.registry.platformRoleFor(id.idp, id.groups),
  });
  identity.start();
  readiness.push({
    name: 'identity',
    check: async () => (identity.synced ? null : 'users and teams caches not synced'),
  });
  const clusterViews = createTeamClusterViews(clusterCache);
  const stopClusterNotifications = watchClusterNotifications(clusterCache, identity.notifications);

  const api = createApiServices(config, { kube, clusterCache, metrics, log: log.child({ component: 'api' }) });

  let closing: Promise<void> | undefined;
  return {
    log,
    kube,
    metrics,
    revocations,
    clusterCache,
    api,
    identity,
    sso,
    clusterViews,
    readiness,
    close() {
      closing ??= (async () => {
        api.close();
        stopClusterNotifications();
        identity.close();
        sso.close();
        clusterCache.stop();
        await revocations.stop();
        kube.close();
      })();
      return closing;
    },
  };
}
