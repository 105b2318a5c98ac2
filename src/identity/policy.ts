// The one policy module: every route's rule (the permission matrix) and the checks that apply it. A global
// preValidation hook (identity/plugin.ts) looks up the rule of the matched route; a route without a rule is refused,
// and test/identity/permission-matrix.test.ts fails for it. Handlers that need the request body (cluster create,
// team resourceLimits) and the terminals call the exported check functions below.
import { forbidden, HttpError } from '../http/errors.js';
import { filterAllows, type ClusterFilter } from './cluster-teams.js';
import { hasTeamAccess, roleInTeam, type Principal } from './principal.js';
import { teamRoleRank, type TeamRole } from './roles.js';

export type ClusterOp = 'read' | 'kubeconfig' | 'delete' | 'scale' | 'update' | 'manage addons of';

export type Rule =
  /** No session needed. */
  | { kind: 'public' }
  /** Any valid session, also one without any team (so a new user gets a working /me instead of a login loop). */
  | { kind: 'session' }
  /** Any session with team access: a platform role or at least one team. */
  | { kind: 'member' }
  /** Platform admin, or (role viewer) platform viewer or admin. */
  | { kind: 'platform'; role: 'admin' | 'viewer' }
  /** The team named by a path parameter: platform admin (and platform viewer when `platformViewer`), or this role there. */
  | { kind: 'team'; param: string; role: TeamRole; platformViewer?: boolean; message?: 'members' }
  /** The TenantCluster named by :ns/:name, judged by its team (spec.teamRef.name). */
  | { kind: 'cluster'; op: ClusterOp }
  /** Decided by the handler or the plugin, which call the checks below: cluster create, terminals, the tenant proxy. */
  | { kind: 'handler'; why: string };

const R = {
  public: { kind: 'public' },
  session: { kind: 'session' },
  member: { kind: 'member' },
  pa: { kind: 'platform', role: 'admin' },
  pv: { kind: 'platform', role: 'viewer' },
} as const satisfies Record<string, Rule>;

const teamAdmin = (param = 'name'): Rule => ({ kind: 'team', param, role: 'admin' });
const cluster = (op: ClusterOp): Rule => ({ kind: 'cluster', op });
const handler = (why: string): Rule => ({ kind: 'handler', why });

/** Every route (method and URL pattern, HEAD judged as GET) and its rule. */
export const POLICY: Readonly<Record<string, Rule>> = {
  'GET /healthz': R.public,
  'GET /readyz': R.public,
  // Session or metrics token, checked by the metrics plugin.
  'GET /metrics': R.session,

  // sessions
  'POST /api/auth/login': R.public,
  'POST /api/auth/login/legacy': R.public,
  'GET /api/auth/providers': R.public,
  'GET /api/auth/login/sso': R.public,
  'GET /api/auth/callback': R.public,
  'GET /api/auth/invite/:token': R.public,
  'POST /api/auth/set-password': R.public,
  'GET /api/auth/me': R.session,
  'GET /api/auth/teams': R.session,
  'POST /api/auth/logout': R.session,
  'POST /api/auth/logout-everywhere': R.session,
  'POST /api/auth/refresh': R.session,
  'POST /api/auth/refresh-permissions': R.session,
  // A kubectl token id is 128 random bits: knowing one is the right to revoke it.
  'DELETE /api/auth/kubectl-tokens/:id': R.session,

  // users
  'GET /api/users': R.member,
  'POST /api/admin/users': R.pa,
  'GET /api/admin/users/:username': R.pa,
  'DELETE /api/admin/users/:username': R.pa,
  'POST /api/admin/users/:username/disable': R.pa,
  'POST /api/admin/users/:username/enable': R.pa,
  'POST /api/admin/users/:username/invite': R.pa,

  // teams
  'GET /api/teams': R.member,
  'POST /api/teams': R.pa,
  'POST /api/admin/teams': R.pa,
  'GET /api/teams/:name': R.member,
  'PUT /api/teams/:name': teamAdmin(),
  'PATCH /api/teams/:name': teamAdmin(),
  'DELETE /api/teams/:name': R.pa,
  'DELETE /api/admin/teams/:name': R.pa,
  'GET /api/teams/:name/clusters': R.member,
  'GET /api/teams/:name/groups': R.member,
  'GET /api/teams/:name/members': {
    kind: 'team',
    param: 'name',
    role: 'viewer',
    platformViewer: true,
    message: 'members',
  },
  'POST /api/teams/:name/environments': teamAdmin(),
  'PUT /api/teams/:name/environments/:env': teamAdmin(),
  'DELETE /api/teams/:name/environments/:env': teamAdmin(),
  'POST /api/admin/teams/:name/members': teamAdmin(),
  'PATCH /api/admin/teams/:name/members/:email': teamAdmin(),
  'DELETE /api/admin/teams/:name/members/:email': teamAdmin(),
  'POST /api/admin/teams/:name/groups': teamAdmin(),
  'PATCH /api/admin/teams/:name/groups/:group': teamAdmin(),
  'DELETE /api/admin/teams/:name/groups/:group': teamAdmin(),

  // clusters
  'GET /api/clusters': R.member,
  'POST /api/clusters': handler('the team comes from the body or X-Butler-Team: checkClusterCreate'),
  'GET /api/clusters/:ns/:name': cluster('read'),
  'DELETE /api/clusters/:ns/:name': cluster('delete'),
  'PATCH /api/clusters/:ns/:name/scale': cluster('scale'),
  'GET /api/clusters/:ns/:name/kubeconfig': cluster('kubeconfig'),
  'GET /api/clusters/:ns/:name/nodes': cluster('read'),
  'GET /api/clusters/:ns/:name/events': cluster('read'),
  'PUT /api/clusters/:ns/:name': cluster('update'),
  'GET /api/clusters/:ns/:name/export': cluster('read'),
  'GET /api/clusters/:ns/:name/machines': cluster('read'),
  'GET /api/clusters/:ns/:name/load-balancers': cluster('read'),
  'GET /api/clusters/:ns/:name/tenantcontrolplane': cluster('read'),
  'GET /api/clusters/:ns/:name/certificates': cluster('read'),
  'GET /api/clusters/:ns/:name/certificates/rotation-status': cluster('read'),
  'GET /api/clusters/:ns/:name/certificates/:category': cluster('read'),
  // Renewing control-plane certificates restarts API server pods of the tenant: an operator's job for the platform.
  'POST /api/clusters/:ns/:name/certificates/rotate': R.pa,
  'GET /api/clusters/:ns/:name/addons': cluster('read'),
  'POST /api/clusters/:ns/:name/addons': cluster('manage addons of'),
  'GET /api/clusters/:ns/:name/addons/:addon': cluster('read'),
  'PUT /api/clusters/:ns/:name/addons/:addon': cluster('manage addons of'),
  'DELETE /api/clusters/:ns/:name/addons/:addon': cluster('manage addons of'),

  // management cluster
  'GET /api/management': R.pv,
  'GET /api/management/nodes': R.pv,
  'GET /api/management/kubeconfig': R.pa,
  'GET /api/management/namespaces/:ns/pods': R.pv,
  'GET /api/management/pods/:ns': R.pv,
  'GET /api/management/addons': R.pv,
  'GET /api/management/addons/:name': R.pv,
  'POST /api/management/addons': R.pa,
  'PUT /api/management/addons/:name': R.pa,
  'DELETE /api/management/addons/:name': R.pa,

  // addon catalog and providers
  'GET /api/addons/catalog': R.member,
  'GET /api/addons/catalog/:name': R.member,
  'GET /api/providers': R.member,
  'GET /api/providers/:ns/:name': R.member,
  'POST /api/providers': R.pa,
  'POST /api/providers/test': R.pa,
  'POST /api/providers/:ns/:name/validate': R.pa,
  'DELETE /api/providers/:ns/:name': R.pa,
  // provider discovery for the create form (reads, like the provider list)
  'GET /api/providers/:ns/:name/images': R.member,
  'GET /api/providers/:ns/:name/networks': R.member,
  'GET /api/providers/:ns/:name/clusters': R.member,
  'GET /api/providers/:ns/:name/storage-containers': R.member,

  // platform pages: settings (platform admins), networks and audit (platform viewers read)
  'GET /api/admin/config': R.pa,
  'PUT /api/admin/config': R.pa,
  'GET /api/admin/networks': R.pv,
  'GET /api/admin/networks/:ns/:name': R.pv,
  'GET /api/admin/networks/:ns/:name/allocations': R.pv,
  'GET /api/admin/ipallocations': R.pv,
  'GET /api/admin/audit': R.pv,

  // pages of systems this server does not run: "not configured" answers
  'GET /api/gitops/config': R.member,
  'GET /api/management/gitops/status': R.pv,
  'GET /api/clusters/:ns/:name/gitops/status': cluster('read'),
  'GET /api/observability/config': R.member,
  'GET /api/admin/observability/status': R.pa,
  'GET /api/image-factory/catalog': R.member,
  'GET /api/image-syncs': R.member,

  // identity providers (single sign-on)
  'GET /api/admin/identity-providers': R.pv,
  'GET /api/admin/identity-providers/:name': R.pv,
  'POST /api/admin/identity-providers': R.pa,
  'PUT /api/admin/identity-providers/:name': R.pa,
  'DELETE /api/admin/identity-providers/:name': R.pa,
  'POST /api/admin/identity-providers/test': R.pa,
  'POST /api/admin/identity-providers/:name/validate': R.pa,

  'GET /api/openapi.json': R.session,

  // live updates and terminals
  // Data-less without a session; frames filtered per client by team (a user without teams sees none).
  'GET /ws/clusters': R.session,
  ...Object.fromEntries(
    [':type', ':type/:a', ':type/:a/:b', ':type/:a/:b/:c', ':type/:a/:b/:c/:d'].map((p) => [
      `GET /ws/terminal/${p}`,
      handler('refused after the upgrade with a red line: terminalAccess'),
    ]),
  ),

  // Kubernetes API proxy: the management cluster for platform admins; a tenant cluster as its kubeconfig would allow
  ...Object.fromEntries(
    ['DELETE', 'GET', 'PATCH', 'POST', 'PUT', 'OPTIONS'].flatMap((m) => [
      [`${m} /api/proxy/management/`, R.pa],
      [`${m} /api/proxy/management/*`, R.pa],
      [`${m} /api/proxy/tenant/`, handler('the cluster comes from the path: checkCluster(kubeconfig)')],
      [`${m} /api/proxy/tenant/*`, handler('the cluster comes from the path: checkCluster(kubeconfig)')],
    ]),
  ),
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The rule of a route that is not in POLICY; only routes added outside the app (tests) use it. */
    accessRule?: Rule;
  }
}

export function ruleFor(method: string, url: string): Rule | undefined {
  return POLICY[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}

export const NO_TEAM_ACCESS = 'no team access - contact your administrator';

/** Throws the 403 a principal gets for a rule that does not need a cluster lookup. */
export function checkRule(p: Principal, rule: Rule, params: Record<string, string>): void {
  switch (rule.kind) {
    // For `handler` the handler's own check (checkClusterCreate, checkCluster, terminalAccess) refuses users
    // without teams.
    case 'public':
    case 'session':
    case 'handler':
      return;
    case 'cluster':
    case 'member':
      if (!hasTeamAccess(p)) throw forbidden(NO_TEAM_ACCESS);
      return;
    case 'platform':
      if (p.platformRole === 'admin') return;
      if (rule.role === 'viewer' && p.platformRole === 'viewer') return;
      throw forbidden(
        rule.role === 'admin' ? 'forbidden: platform admin required' : 'forbidden: platform viewer or admin required',
      );
    case 'team': {
      if (!hasTeamAccess(p)) throw forbidden(NO_TEAM_ACCESS);
      const team = params[rule.param] ?? '';
      if (p.platformRole === 'admin') return;
      if (rule.platformViewer && p.platformRole === 'viewer') return;
      const explicit = p.teams.find((t) => t.name === team)?.role;
      if (teamRoleRank(explicit) >= teamRoleRank(rule.role)) return;
      if (rule.message === 'members') throw forbidden('Access denied to team');
      throw forbidden(`Team ${rule.role} of ${team} or platform admin required`);
    }
  }
}

const OP_MIN_ROLE: Record<ClusterOp, TeamRole> = {
  read: 'viewer',
  kubeconfig: 'operator',
  delete: 'operator',
  scale: 'operator',
  update: 'operator',
  'manage addons of': 'operator',
};

/**
 * Whether the principal may do `op` on a cluster of `team` (undefined: a platform-level cluster without teamRef).
 * With a selected team, only that team's clusters, with the selected role (platform admins included).
 */
export function checkCluster(p: Principal, team: string | undefined, op: ClusterOp): void {
  if (!hasTeamAccess(p)) throw forbidden(NO_TEAM_ACCESS);
  const min = OP_MIN_ROLE[op];
  if (p.selected) {
    if (team !== p.selected.team)
      throw forbidden(`forbidden: cluster belongs to team '${team ?? ''}', not '${p.selected.team}'`);
    if (teamRoleRank(p.selected.role) >= teamRoleRank(min)) return;
    throw forbidden(roleRefusal(p.selected.role, op, team));
  }
  if (p.platformRole === 'admin') return;
  if (team === undefined) {
    if (p.platformRole === 'viewer' && op === 'read') return;
    throw forbidden(`you don't have permission to ${op} clusters without a team`);
  }
  const role = roleInTeam(p, team);
  if (teamRoleRank(role) >= teamRoleRank(min)) return;
  throw forbidden(
    role ? roleRefusal(role, op, team) : `you don't have permission to ${op} clusters for team '${team}'`,
  );
}

function roleRefusal(role: TeamRole, op: ClusterOp, team: string | undefined): string {
  if (role === 'viewer')
    return op === 'kubeconfig' ? 'viewer role cannot get kubeconfigs of clusters' : `viewer role cannot ${op} clusters`;
  return `you don't have permission to ${op} clusters for team '${team ?? ''}'`;
}

/**
 * Cluster create: `teamRef` defaults to the selected team; another team's is refused; non-admins must name a team
 * where they are operator or admin. Returns the team the cluster will belong to (undefined: platform-level).
 */
export function checkClusterCreate(p: Principal, requestedTeam: string | undefined): string | undefined {
  if (!hasTeamAccess(p)) throw forbidden(NO_TEAM_ACCESS);
  if (p.selected && requestedTeam !== undefined && requestedTeam !== p.selected.team)
    throw forbidden(`forbidden: cluster belongs to team '${requestedTeam}', not '${p.selected.team}'`);
  const team = requestedTeam ?? p.selected?.team;
  if (team === undefined) {
    if (p.platformRole === 'admin') return undefined;
    throw new HttpError(400, 'teamRef is required for non-admin users', { field: 'teamRef' });
  }
  const role = p.selected ? p.selected.role : roleInTeam(p, team);
  if (teamRoleRank(role) >= teamRoleRank('operator')) return team;
  if (role === 'viewer') throw forbidden('viewer role cannot create clusters');
  throw forbidden(`you don't have permission to create clusters for team '${team}'`);
}

export type TerminalMode = 'interactive' | 'read-only';

/**
 * Tenant terminals: the team is the cluster's; platform admin, team admin or operator interactive; team viewer and
 * platform viewer read-only. Management terminals: platform admin only. Throws 403 otherwise.
 */
export function terminalAccess(
  p: Principal,
  target: { kind: 'management' } | { kind: 'tenant'; team: string | undefined },
): TerminalMode {
  if (target.kind === 'management') {
    if (p.platformRole === 'admin') return 'interactive';
    throw forbidden('forbidden: platform admin required');
  }
  if (p.platformRole === 'admin') return 'interactive';
  const role =
    target.team === undefined ? (p.platformRole === 'viewer' ? 'viewer' : undefined) : roleInTeam(p, target.team);
  if (teamRoleRank(role) >= teamRoleRank('operator')) return 'interactive';
  if (role === 'viewer') return 'read-only';
  throw forbidden('forbidden');
}

const NOTHING: ClusterFilter = { all: false, teams: new Set() };

/**
 * The clusters a principal may list and receive live: the selected team's, else all (platform roles), else those of
 * their teams. With `team` (a query parameter), only that team's, if allowed at all.
 */
export function clusterFilterFor(p: Principal, team?: string): ClusterFilter {
  let f: ClusterFilter;
  if (p.selected) f = { all: false, teams: new Set([p.selected.team]) };
  else if (p.platformRole) f = { all: true };
  else f = { all: false, teams: new Set(p.teams.map((t) => t.name)) };
  if (team === undefined) return f;
  return filterAllows(f, team) ? { all: false, teams: new Set([team]) } : NOTHING;
}

/** Notifications: platform admins all; everyone else those about one of their teams. */
export function receivesNotification(p: Principal, team: string | undefined): boolean {
  if (p.platformRole === 'admin') return true;
  return team !== undefined && p.teams.some((t) => t.name === team);
}
