/* global sessionStorage */
// Who is logged in and what they may do, from GET /api/auth/me, and the selected team (the team switcher): the
// API calls then send X-Butler-Team, and the controls follow the role in that team. The server decides every
// request itself; this only hides what would be refused.
const RANK = { viewer: 1, operator: 2, admin: 3 };
const STORE_KEY = 'butler-demo-team';
let me;
let team = '';
const listeners = new Set();

export function setMe(user) {
  me = user;
  const names = (me?.teams ?? []).map((t) => t.name);
  const stored = sessionStorage.getItem(STORE_KEY) ?? '';
  // Platform roles may work across all teams (''); everyone else always works inside one of their teams.
  if (isPlatform() && (stored === '' || names.includes(stored))) team = stored;
  else team = names.includes(stored) ? stored : (names[0] ?? '');
  emit();
}

export const currentUser = () => me;
export const selectedTeam = () => team;
export const isPlatform = () =>
  me?.platformRole === 'admin' || me?.platformRole === 'viewer' || me?.isPlatformAdmin === true;
export const isPlatformAdmin = () => me?.platformRole === 'admin' || me?.isPlatformAdmin === true;

export function selectTeam(name) {
  team = name;
  sessionStorage.setItem(STORE_KEY, name);
  emit();
}

/** The role that governs writes now: the selected team's (platform admins: admin unless listed lower). */
export function currentRole() {
  if (!me) return undefined;
  if (!team) return isPlatformAdmin() ? 'admin' : isPlatform() ? 'viewer' : undefined;
  const explicit = me.teams?.find((t) => t.name === team)?.role;
  if (me.platformRole === 'admin' || me.isPlatformAdmin) return explicit ?? 'admin';
  if (me.platformRole === 'viewer') return RANK[explicit] > RANK.viewer ? explicit : 'viewer';
  return explicit;
}

/** Create, scale, delete clusters and change addons: operators and admins. */
export const canOperate = () => (RANK[currentRole()] ?? 0) >= RANK.operator;

/** Whether a cluster is shown under the selected team (all the user may see when no team is selected). */
export const inSelectedTeam = (cluster) => !team || cluster.spec?.teamRef?.name === team;

export function onSessionChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit() {
  document.body.dataset.role = currentRole() ?? 'none';
  document.body.dataset.team = team;
  for (const fn of listeners) fn();
}
