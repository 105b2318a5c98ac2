// Team membership resolution: which teams an email (and, for SSO users, a set of IdP groups) belongs to, with
// which role. Pure functions over Team objects, used per request through the TeamStore's index.
import { higherTeamRole, isTeamRole, type Membership, type TeamRole } from './roles.js';

export interface TeamAccessEntry {
  name?: unknown;
  role?: unknown;
  identityProvider?: unknown;
}

export interface TeamLike {
  metadata?: { name?: string };
  spec?: { access?: { users?: TeamAccessEntry[] | null; groups?: TeamAccessEntry[] | null } | null } & Record<
    string,
    unknown
  >;
}

export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

export const MAX_EMAIL_LENGTH = 254;

/** One `local@domain` address without spaces, at most 254 characters (after normaliseEmail). */
export const isEmailAddress = (email: string): boolean =>
  email.length <= MAX_EMAIL_LENGTH && /^[^\s@]+@[^\s@]+$/.test(email);

/**
 * A group identifier as IdPs spell it, reduced to a comparable form: `CN=DevOps,OU=…` → `devops`,
 * `eng@corp.com` → `eng`, everything lowercased.
 */
export function normaliseGroup(group: string): string {
  let g = group.trim();
  const cn = /^cn=([^,]*)/i.exec(g);
  if (cn) g = cn[1]!;
  const at = g.lastIndexOf('@');
  if (at >= 0) g = g.slice(0, at);
  return g.trim().toLowerCase();
}

/** The lookup set for a user's groups: each group lowercased and its normalised form. */
export function groupLookupSet(groups: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const g of groups) {
    set.add(g.trim().toLowerCase());
    set.add(normaliseGroup(g));
  }
  return set;
}

export function groupMatches(configured: string, lookup: Set<string>): boolean {
  return lookup.has(normaliseGroup(configured)) || lookup.has(configured.trim().toLowerCase());
}

const roleOf = (entry: TeamAccessEntry): TeamRole => (isTeamRole(entry.role) ? entry.role : 'viewer');

export function directUsers(team: TeamLike): { email: string; role: TeamRole }[] {
  const users = team.spec?.access?.users ?? [];
  return users
    .filter((u) => typeof u?.name === 'string' && u.name !== '')
    .map((u) => ({ email: normaliseEmail(u.name as string), role: roleOf(u) }));
}

export function groupEntries(team: TeamLike): { name: string; role: TeamRole; identityProvider?: string }[] {
  const groups = team.spec?.access?.groups ?? [];
  return groups
    .filter((g) => typeof g?.name === 'string' && g.name !== '')
    .map((g) => ({
      name: g.name as string,
      role: roleOf(g),
      ...(typeof g.identityProvider === 'string' && g.identityProvider ? { identityProvider: g.identityProvider } : {}),
    }));
}

/** The highest role a team's group syncs give for this lookup set, and through which group. */
export function groupRoleIn(team: TeamLike, lookup: Set<string>): { role: TeamRole; group: string } | undefined {
  let best: { role: TeamRole; group: string } | undefined;
  if (lookup.size === 0) return undefined;
  for (const g of groupEntries(team)) {
    if (!groupMatches(g.name, lookup)) continue;
    if (!best || higherTeamRole(g.role, best.role) !== best.role) best = { role: g.role, group: g.name };
  }
  return best;
}

/** Every team the email (direct entries) or the groups (group syncs) belong to; per team the highest role. */
export function resolveMemberships(teams: Iterable<TeamLike>, email: string, groups: readonly string[]): Membership[] {
  const e = normaliseEmail(email);
  const lookup = groupLookupSet(groups);
  const out: Membership[] = [];
  for (const team of teams) {
    const name = team.metadata?.name;
    if (!name) continue;
    let role: TeamRole | undefined;
    for (const u of directUsers(team)) if (u.email === e) role = higherTeamRole(role, u.role);
    role = higherTeamRole(role, groupRoleIn(team, lookup)?.role);
    if (role) out.push({ name, role });
  }
  return out;
}
