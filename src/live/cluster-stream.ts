// /ws/clusters: the TenantCluster cache, filtered per socket by team (platform roles: all; others: their teams).
import type { ResourceCache } from '../kube/cache.js';
import { objectKey, type KubeObjectLike } from '../kube/cache-store.js';
import {
  clusterTeam,
  filterAllows,
  filterKey,
  type ClusterFilter,
  type TeamClusterViews,
} from '../identity/cluster-teams.js';
import type { LiveStream } from './live-hub.js';
import { deleteFrame, listFrame, updateFrame } from './messages.js';

export function clusterStream(
  cache: ResourceCache<KubeObjectLike>,
  views: Pick<TeamClusterViews, 'listJson'>,
): LiveStream<KubeObjectLike, ClusterFilter> {
  return {
    source: cache,
    keyOf: objectKey,
    scopeOf: clusterTeam,
    filterKey,
    allows: filterAllows,
    listJson: (f) => views.listJson(f),
    updateFrame,
    deleteFrame,
    listFrame,
  };
}
