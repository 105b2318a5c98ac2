// Teams (cluster-scoped Team objects) from one watch cache, with a membership index rebuilt once per change, so
// resolving a request's teams costs one map lookup.
import type { KubeObject, ResourceCache } from '../kube/cache.js';
import {
  directUsers,
  groupLookupSet,
  groupRoleIn,
  normaliseEmail,
  resolveMemberships,
  type TeamLike,
} from './membership.js';
import { higherTeamRole, type Membership, type TeamRole } from './roles.js';

export interface TeamStore {
  readonly cache: ResourceCache<KubeObject>;
  readonly synced: boolean;
  get(name: string): KubeObject | undefined;
  list(): KubeObject[];
  /** Teams of an email (direct) and of IdP groups (group syncs), highest role per team, sorted by team name. */
  membershipsOf(email: string, groups: readonly string[]): Membership[];
  /** Called after every change of any Team (after the index was invalidated). */
  onChange(listener: () => void): () => void;
}

export function createTeamStore(cache: ResourceCache<KubeObject>): TeamStore {
  let byEmail: Map<string, Membership[]> | undefined;
  const listeners = new Set<() => void>();
  cache.subscribe((s) => {
    if (s.type !== 'RESYNC' && s.relist) return;
    byEmail = undefined;
    for (const l of listeners) l();
  });

  function index(): Map<string, Membership[]> {
    if (byEmail) return byEmail;
    const map = new Map<string, Map<string, TeamRole>>();
    for (const team of cache.list()) {
      const name = team.metadata.name;
      if (!name) continue;
      for (const u of directUsers(team as TeamLike)) {
        const teams = map.get(u.email) ?? new Map<string, TeamRole>();
        teams.set(name, higherTeamRole(teams.get(name), u.role)!);
        map.set(u.email, teams);
      }
    }
    byEmail = new Map([...map].map(([e, teams]) => [e, [...teams].map(([name, role]) => ({ name, role }))]));
    return byEmail;
  }

  return {
    cache,
    get synced() {
      return cache.synced;
    },
    get: (name) => cache.get(undefined, name),
    list: () => cache.list(),
    membershipsOf(email, groups) {
      if (groups.length > 0) return resolveMemberships(cache.list() as TeamLike[], email, groups);
      return index().get(normaliseEmail(email)) ?? [];
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export { groupLookupSet, groupRoleIn };
