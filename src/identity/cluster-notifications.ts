// Notifications from the TenantCluster watch: a cluster became Ready (from Provisioning, Updating or Installing),
// Failed or Degraded, or was deleted. Sent to the cluster's team (and platform admins).
import type { KubeObject, ResourceCache } from '../kube/cache.js';
import { objectKey } from '../kube/cache-store.js';
import { clusterTeam } from './cluster-teams.js';
import type { NotificationBus, Severity } from './notifications.js';

const BECOMES_READY_FROM = new Set(['Provisioning', 'Updating', 'Installing']);

const phaseOf = (c: KubeObject): string => {
  const p = (c.status as { phase?: unknown } | undefined)?.phase;
  return typeof p === 'string' ? p : '';
};

export function watchClusterNotifications(cache: ResourceCache<KubeObject>, bus: NotificationBus): () => void {
  const phases = new Map<string, string>();
  const remember = () => {
    phases.clear();
    for (const c of cache.list()) phases.set(objectKey(c), phaseOf(c));
  };
  return cache.subscribe((s) => {
    if (s.type === 'RESYNC') return remember();
    if (s.relist) return;
    const c = s.object;
    const key = objectKey(c);
    const name = c.metadata.name ?? '';
    const team = clusterTeam(c);
    const ref = { kind: 'TenantCluster', name, namespace: c.metadata.namespace ?? '', ...(team ? { team } : {}) };
    const publish = (title: string, message: string, severity: Severity) =>
      bus.publish({ title, message, severity, category: 'cluster', resourceRef: ref });
    if (s.type === 'DELETED') {
      phases.delete(key);
      publish(`Cluster ${name} deleted`, `Cluster ${ref.namespace}/${name} was deleted`, 'warning');
      return;
    }
    const before = phases.get(key) ?? '';
    const now = phaseOf(c);
    phases.set(key, now);
    if (now === before) return;
    if (now === 'Ready' && BECOMES_READY_FROM.has(before))
      publish(`Cluster ${name} is ready`, `Cluster ${ref.namespace}/${name} is ready`, 'success');
    else if (now === 'Failed') {
      const msg = (c.status as { failureMessage?: unknown } | undefined)?.failureMessage;
      publish(`Cluster ${name} failed`, typeof msg === 'string' && msg ? msg : `Cluster ${name} failed`, 'error');
    } else if (now === 'Degraded')
      publish(`Cluster ${name} is degraded`, `Cluster ${ref.namespace}/${name} is degraded`, 'warning');
  });
}
