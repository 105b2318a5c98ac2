// Per-request resolution: a session's identity → the principal the policy judges. Platform role, teams and the
// selected team come from the User and Team watch caches on every request, so a role change or a disabled account
// counts on the next request (and, through onChange, on open sockets) without a new login.
import type { Identity } from '../auth/session.js';
import type { TeamStore } from './team-store.js';
import { platformRoleOf, type UserObject, type UserStore } from './user-store.js';
import { normaliseEmail } from './membership.js';
import { higherPlatformRole, higherTeamRole, type Membership, type PlatformRole, type TeamRole } from './roles.js';
import { isDnsLabel } from './paths.js';

/** Subject of the bootstrap admin from the environment (no User object). */
export const BOOTSTRAP_SUBJECT = 'legacy:admin';
export const BOOTSTRAP_EMAIL = 'admin@butler.local';
export const BOOTSTRAP_NAME = 'Platform Administrator';
export const TEAM_HEADER = 'x-butler-team';

export interface Principal {
  identity: Identity;
  platformRole?: PlatformRole;
  /** Explicit memberships (direct and through groups), sorted by team name. */
  teams: Membership[];
  /** The team selected with X-Butler-Team (platform roles: any team; others: one of theirs), and the role there. */
  selected?: { team: string; role: TeamRole };
  /** The User object, when there is one. */
  user?: UserObject;
}

export type PrincipalResult = { ok: true; principal: Principal } | { ok: false; status: 401 | 403; error: string };

export interface PrincipalResolver {
  resolve(identity: Identity, teamHeader?: string | string[]): PrincipalResult;
}

/** The role a principal has in a team: platform admins are admins of every team unless listed lower there;
 * platform viewers are viewers of every team unless listed higher. */
export function roleInTeam(p: Principal, team: string): TeamRole | undefined {
  const explicit = p.teams.find((t) => t.name === team)?.role;
  if (p.platformRole === 'admin') return explicit ?? 'admin';
  if (p.platformRole === 'viewer') return higherTeamRole(explicit, 'viewer');
  return explicit;
}

/** Platform roles see every team; others need at least one membership. */
export const hasTeamAccess = (p: Principal): boolean => p.platformRole !== undefined || p.teams.length > 0;

export function createPrincipalResolver(deps: {
  users: UserStore;
  teams: TeamStore;
  /** The platform role an SSO identity's groups give (IdentityProvider platformRoleGroups). */
  groupPlatformRole?: (identity: Identity) => PlatformRole | undefined;
}): PrincipalResolver {
  return {
    resolve(identity, teamHeader) {
      let user: UserObject | undefined;
      let platformRole: PlatformRole | undefined;
      if (identity.subject === BOOTSTRAP_SUBJECT) {
        platformRole = 'admin';
      } else {
        user = identity.subject.startsWith('internal:')
          ? deps.users.byName(identity.username)
          : deps.users.byEmail(identity.email);
        const sameUser = user && normaliseEmail(String(user.spec?.email ?? '')) === identity.email;
        if (identity.subject.startsWith('internal:') && !sameUser)
          return { ok: false, status: 401, error: 'user no longer exists; please log in again' };
        if (user?.spec?.disabled === true) return { ok: false, status: 403, error: 'account disabled' };
        platformRole = higherPlatformRole(platformRoleOf(user), deps.groupPlatformRole?.(identity));
      }
      const teams = [...deps.teams.membershipsOf(identity.email, identity.groups)].sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
      const principal: Principal = {
        identity,
        teams,
        ...(platformRole ? { platformRole } : {}),
        ...(user ? { user } : {}),
      };
      const header = Array.isArray(teamHeader) ? teamHeader[0] : teamHeader;
      if (header && isDnsLabel(header)) {
        const role = roleInTeam(principal, header);
        if (role) principal.selected = { team: header, role };
      }
      return { ok: true, principal };
    },
  };
}
