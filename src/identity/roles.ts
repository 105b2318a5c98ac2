// Roles of the identity model: team roles (admin > operator > viewer) and platform roles (admin, viewer).

export const TEAM_ROLES = ['admin', 'operator', 'viewer'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];
export type PlatformRole = 'admin' | 'viewer';

/** One team a user belongs to, with the highest role that applies. */
export interface Membership {
  name: string;
  role: TeamRole;
}

const TEAM_RANK: Record<TeamRole, number> = { viewer: 1, operator: 2, admin: 3 };
const PLATFORM_RANK: Record<PlatformRole, number> = { viewer: 1, admin: 2 };

export function isTeamRole(x: unknown): x is TeamRole {
  return typeof x === 'string' && (TEAM_ROLES as readonly string[]).includes(x);
}

export function isPlatformRole(x: unknown): x is PlatformRole {
  return x === 'admin' || x === 'viewer';
}

/** 0 for no role. */
export function teamRoleRank(role: TeamRole | undefined): number {
  return role ? TEAM_RANK[role] : 0;
}

export function higherTeamRole(a: TeamRole | undefined, b: TeamRole | undefined): TeamRole | undefined {
  return teamRoleRank(a) >= teamRoleRank(b) ? a : b;
}

export function higherPlatformRole(a: PlatformRole | undefined, b: PlatformRole | undefined): PlatformRole | undefined {
  const ra = a ? PLATFORM_RANK[a] : 0;
  const rb = b ? PLATFORM_RANK[b] : 0;
  return ra >= rb ? a : b;
}
