// Response shapes of the identity endpoints: the user object of /me and login, user list items, teams.
import type { Session } from '../auth/session.js';
import type { KubeObject } from '../kube/cache.js';
import type { Principal } from './principal.js';
import { platformRoleOf, phaseOf, rfc3339, type UserObject } from './user-store.js';
import { directUsers, groupEntries, type TeamLike } from './membership.js';

/** The user object the console keeps (GET /api/auth/me, and `user` of the login answer). */
export function meView(p: Principal, session: Pick<Session, 'exp'>) {
  const id = p.identity;
  const admin = p.platformRole === 'admin';
  return {
    email: id.email,
    name: id.name,
    ...(id.picture ? { picture: id.picture } : {}),
    teams: p.teams.map((t) => ({ name: t.name, role: t.role })),
    ...(admin ? { isPlatformAdmin: true as const } : {}),
    ...(p.platformRole ? { platformRole: p.platformRole } : {}),
    provider: id.provider,
    // The early-2026 console reads these two; sent for platform admins only (its admin gate is role === "admin").
    ...(admin ? { username: id.username, role: 'admin' as const } : {}),
    expiresAt: rfc3339(new Date(session.exp * 1000)),
  };
}

/** Item of GET /api/users and the admin user routes. */
export function userListItem(u: UserObject, teamsOfEmail: (email: string) => string[]) {
  const spec = u.spec ?? {};
  const role = platformRoleOf(u);
  const email = String(spec.email ?? '');
  return {
    username: u.metadata.name ?? '',
    email,
    ...(spec.displayName ? { displayName: spec.displayName } : {}),
    ...(spec.avatar ? { avatar: spec.avatar } : {}),
    phase: spec.disabled === true ? 'Disabled' : phaseOf(u),
    disabled: spec.disabled === true,
    authType: spec.authType === 'sso' ? ('sso' as const) : ('internal' as const),
    ...(spec.ssoProvider ? { ssoProvider: spec.ssoProvider } : {}),
    teams: teamsOfEmail(email),
    ...(role === 'admin' ? { isPlatformAdmin: true as const } : {}),
    ...(role ? { platformRole: role } : {}),
  };
}

/** TeamResponse: display fields fall back to the name, counts from the caches. */
export function teamView(team: KubeObject, clusterCount: number) {
  const spec = (team.spec ?? {}) as Record<string, unknown>;
  const status = (team.status ?? {}) as Record<string, unknown>;
  const name = team.metadata.name ?? '';
  const t = team as TeamLike;
  const created = (team.metadata as { creationTimestamp?: string }).creationTimestamp;
  const environments = Array.isArray(spec.environments) ? spec.environments : [];
  return {
    name,
    displayName: typeof spec.displayName === 'string' && spec.displayName ? spec.displayName : name,
    ...(typeof spec.description === 'string' && spec.description ? { description: spec.description } : {}),
    namespace: teamNamespace(team),
    phase: typeof status.phase === 'string' && status.phase ? status.phase : 'Ready',
    clusterCount,
    memberCount: directUsers(t).length,
    groupCount: groupEntries(t).length,
    ...(team.metadata.labels ? { labels: team.metadata.labels } : {}),
    ...(created ? { createdAt: created } : {}),
    ...(spec.resourceLimits ? { resourceLimits: spec.resourceLimits } : {}),
    ...(status.resourceUsage ? { resourceUsage: status.resourceUsage } : {}),
    ...(spec.clusterDefaults ? { clusterDefaults: spec.clusterDefaults } : {}),
    ...(environments.length ? { environments } : {}),
  };
}

/** A team's namespace: `status.namespace`, else the team name. */
export function teamNamespace(team: KubeObject): string {
  const ns = (team.status as { namespace?: unknown } | undefined)?.namespace;
  return typeof ns === 'string' && ns ? ns : (team.metadata.name ?? '');
}

export const nowRfc3339 = () => rfc3339(new Date());
