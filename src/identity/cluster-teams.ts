// Which team a TenantCluster belongs to (spec.teamRef.name, the only field authorisation reads), and the
// team-filtered cluster lists: each cluster is serialised once per change and filtered lists are joined from those
// pieces, memoised per distinct team set, so a team member's list costs about what the shared list costs.
import type { KubeObject, KubeObjectLike, ResourceCache } from '../kube/cache.js';

export function clusterTeam(cluster: KubeObjectLike | undefined): string | undefined {
  const ref = (cluster as { spec?: { teamRef?: { name?: unknown } } } | undefined)?.spec?.teamRef;
  return typeof ref?.name === 'string' && ref.name ? ref.name : undefined;
}

/** Which clusters a reader sees: all, or those of a set of teams (team-less clusters only with `all`). */
export type ClusterFilter = { all: true } | { all: false; teams: ReadonlySet<string> };

export const filterKey = (f: ClusterFilter): string => (f.all ? '*' : [...f.teams].sort().join(','));

export function filterAllows(f: ClusterFilter, team: string | undefined): boolean {
  return f.all || (team !== undefined && f.teams.has(team));
}

const MAX_MEMO = 512;

export interface TeamClusterViews {
  /** JSON array text of the clusters the filter allows (optionally one namespace), sorted by namespace, name. */
  listJson(f: ClusterFilter, namespace?: string): string;
  /** Clusters per team (teamRef), from the cache. */
  countByTeam(): Map<string, number>;
}

export function createTeamClusterViews(cache: ResourceCache<KubeObject>): TeamClusterViews {
  const pieces = new WeakMap<object, string>();
  const memo = new Map<string, string>();
  let counts: Map<string, number> | undefined;
  cache.subscribe(() => {
    memo.clear();
    counts = undefined;
  });
  const piece = (o: KubeObject): string => {
    let s = pieces.get(o);
    if (s === undefined) {
      s = JSON.stringify(o);
      pieces.set(o, s);
    }
    return s;
  };
  return {
    listJson(f, namespace) {
      if (f.all) return cache.listJson(namespace);
      const key = `${namespace ?? ''}\u0000${filterKey(f)}`;
      let text = memo.get(key);
      if (text === undefined) {
        const parts: string[] = [];
        for (const o of cache.list(namespace)) if (filterAllows(f, clusterTeam(o))) parts.push(piece(o));
        text = `[${parts.join(',')}]`;
        if (memo.size >= MAX_MEMO) memo.clear();
        memo.set(key, text);
      }
      return text;
    },
    countByTeam() {
      if (counts) return counts;
      counts = new Map();
      for (const o of cache.list()) {
        const t = clusterTeam(o);
        if (t) counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      return counts;
    },
  };
}
