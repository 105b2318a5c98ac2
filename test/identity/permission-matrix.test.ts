// The permission matrix, route by route: every registered route (no exceptions: the coverage test below fails for a
// route missing here or in src/identity/policy.ts) is called as each role, and answers 403 exactly for the roles
// the matrix refuses. Allowed calls may still fail for other reasons (400 for the empty bodies used to avoid
// changes, 404 for absent objects, 426 for a WebSocket path over plain HTTP): only the 403 decides.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import type { Identity } from '../../src/auth/session.js';
import { POLICY } from '../../src/identity/policy.js';
import type { Simulator } from '../../sim/index.js';
import { platformAdminIdentity, type TestServer } from '../helpers/server.js';
import { clusterObject, identitySeed, startIdentityWorld, teamObject } from './support.js';

type Role = 'PA' | 'PV' | 'TA' | 'TO' | 'TV' | 'NT';
const ROLES: Role[] = ['PA', 'PV', 'TA', 'TO', 'TV', 'NT'];

const ALL = 'PA PV TA TO TV NT';
const MEMBERS = 'PA PV TA TO TV';
const PA = 'PA';
const PLATFORM = 'PA PV';
const TEAM_ADMIN = 'PA TA';
const OPERATE = 'PA TA TO';

/** Who may call each route (team-a is the team of the path or cluster); everyone else gets 403. */
const MATRIX: Record<string, string> = {
  'GET /healthz': ALL,
  'GET /readyz': ALL,
  'POST /api/auth/login': ALL,
  'POST /api/auth/login/legacy': ALL,
  'GET /api/auth/providers': ALL,
  'GET /api/auth/login/sso': ALL,
  'GET /api/auth/callback': ALL,
  'GET /api/auth/invite/:token': ALL,
  'POST /api/auth/set-password': ALL,
  'GET /api/auth/me': ALL,
  'GET /api/auth/teams': ALL,
  'POST /api/auth/logout': ALL,
  'POST /api/auth/logout-everywhere': ALL,
  'POST /api/auth/refresh': ALL,
  'POST /api/auth/refresh-permissions': ALL,
  'DELETE /api/auth/kubectl-tokens/:id': ALL,
  'GET /api/openapi.json': ALL,
  'GET /ws/clusters': ALL,

  'GET /api/users': MEMBERS,
  'POST /api/admin/users': PA,
  'GET /api/admin/users/:username': PA,
  'DELETE /api/admin/users/:username': PA,
  'POST /api/admin/users/:username/disable': PA,
  'POST /api/admin/users/:username/enable': PA,
  'POST /api/admin/users/:username/invite': PA,

  'GET /api/teams': MEMBERS,
  'POST /api/teams': PA,
  'POST /api/admin/teams': PA,
  'GET /api/teams/:name': MEMBERS,
  'PUT /api/teams/:name': TEAM_ADMIN,
  'PATCH /api/teams/:name': TEAM_ADMIN,
  'DELETE /api/teams/:name': PA,
  'DELETE /api/admin/teams/:name': PA,
  'GET /api/teams/:name/clusters': MEMBERS,
  'GET /api/teams/:name/groups': MEMBERS,
  'GET /api/teams/:name/members': MEMBERS,
  'POST /api/teams/:name/environments': TEAM_ADMIN,
  'PUT /api/teams/:name/environments/:env': TEAM_ADMIN,
  'DELETE /api/teams/:name/environments/:env': TEAM_ADMIN,
  'POST /api/admin/teams/:name/members': TEAM_ADMIN,
  'PATCH /api/admin/teams/:name/members/:email': TEAM_ADMIN,
  'DELETE /api/admin/teams/:name/members/:email': TEAM_ADMIN,
  'POST /api/admin/teams/:name/groups': TEAM_ADMIN,
  'PATCH /api/admin/teams/:name/groups/:group': TEAM_ADMIN,
  'DELETE /api/admin/teams/:name/groups/:group': TEAM_ADMIN,

  'GET /api/clusters': MEMBERS,
  'POST /api/clusters': OPERATE,
  'GET /api/clusters/:ns/:name': MEMBERS,
  'DELETE /api/clusters/:ns/:name': OPERATE,
  'PATCH /api/clusters/:ns/:name/scale': OPERATE,
  'GET /api/clusters/:ns/:name/kubeconfig': OPERATE,
  'GET /api/clusters/:ns/:name/nodes': MEMBERS,
  'GET /api/clusters/:ns/:name/events': MEMBERS,
  'PUT /api/clusters/:ns/:name': OPERATE,
  'GET /api/clusters/:ns/:name/export': MEMBERS,
  'GET /api/clusters/:ns/:name/machines': MEMBERS,
  'GET /api/clusters/:ns/:name/load-balancers': MEMBERS,
  'GET /api/clusters/:ns/:name/tenantcontrolplane': MEMBERS,
  'GET /api/clusters/:ns/:name/certificates': MEMBERS,
  'GET /api/clusters/:ns/:name/certificates/rotation-status': MEMBERS,
  'GET /api/clusters/:ns/:name/certificates/:category': MEMBERS,
  'POST /api/clusters/:ns/:name/certificates/rotate': PA,
  'GET /api/clusters/:ns/:name/addons': MEMBERS,
  'POST /api/clusters/:ns/:name/addons': OPERATE,
  'GET /api/clusters/:ns/:name/addons/:addon': MEMBERS,
  'PUT /api/clusters/:ns/:name/addons/:addon': OPERATE,
  'DELETE /api/clusters/:ns/:name/addons/:addon': OPERATE,

  'GET /api/management': PLATFORM,
  'GET /api/management/nodes': PLATFORM,
  'GET /api/management/kubeconfig': PA,
  'GET /api/management/namespaces/:ns/pods': PLATFORM,
  'GET /api/management/pods/:ns': PLATFORM,
  'GET /api/management/addons': PLATFORM,
  'GET /api/management/addons/:name': PLATFORM,
  'POST /api/management/addons': PA,
  'PUT /api/management/addons/:name': PA,
  'DELETE /api/management/addons/:name': PA,

  'GET /api/addons/catalog': MEMBERS,
  'GET /api/addons/catalog/:name': MEMBERS,
  'GET /api/providers': MEMBERS,
  'GET /api/providers/:ns/:name': MEMBERS,
  'POST /api/providers': PA,
  'POST /api/providers/test': PA,
  'POST /api/providers/:ns/:name/validate': PA,
  'DELETE /api/providers/:ns/:name': PA,
  'GET /api/providers/:ns/:name/images': MEMBERS,
  'GET /api/providers/:ns/:name/networks': MEMBERS,
  'GET /api/providers/:ns/:name/clusters': MEMBERS,
  'GET /api/providers/:ns/:name/storage-containers': MEMBERS,
  'GET /api/admin/config': PA,
  'PUT /api/admin/config': PA,
  'GET /api/admin/networks': PLATFORM,
  'GET /api/admin/networks/:ns/:name': PLATFORM,
  'GET /api/admin/networks/:ns/:name/allocations': PLATFORM,
  'GET /api/admin/ipallocations': PLATFORM,
  'GET /api/admin/audit': PLATFORM,
  'GET /api/gitops/config': MEMBERS,
  'GET /api/management/gitops/status': PLATFORM,
  'GET /api/clusters/:ns/:name/gitops/status': MEMBERS,
  'GET /api/observability/config': MEMBERS,
  'GET /api/admin/observability/status': PA,
  'GET /api/image-factory/catalog': MEMBERS,
  'GET /api/image-syncs': MEMBERS,
  'GET /api/admin/identity-providers': PLATFORM,
  'GET /api/admin/identity-providers/:name': PLATFORM,
  'POST /api/admin/identity-providers': PA,
  'PUT /api/admin/identity-providers/:name': PA,
  'DELETE /api/admin/identity-providers/:name': PA,
  'POST /api/admin/identity-providers/test': PA,
  'POST /api/admin/identity-providers/:name/validate': PA,
};
for (const m of ['DELETE', 'GET', 'PATCH', 'POST', 'PUT', 'OPTIONS']) {
  MATRIX[`${m} /api/proxy/management/`] = PA;
  MATRIX[`${m} /api/proxy/management/*`] = PA;
  MATRIX[`${m} /api/proxy/tenant/`] = OPERATE;
  MATRIX[`${m} /api/proxy/tenant/*`] = OPERATE;
}
/** Checked over WebSocket below (refusals come after the upgrade, as close 4403). */
const TERMINALS = new Set(
  [':type', ':type/:a', ':type/:a/:b', ':type/:a/:b/:c', ':type/:a/:b/:c/:d'].map((p) => `GET /ws/terminal/${p}`),
);
/** Logins with the empty test body answer 401 (wrong credentials) to everyone. */
const LOGINS = new Set(['POST /api/auth/login', 'POST /api/auth/login/legacy']);
/** /metrics answers 401 (not 403) without an admin session or the metrics token. */
const DENIED_STATUS: Record<string, number> = { 'GET /metrics': 401 };
MATRIX['GET /metrics'] = PA;

const users: Record<Exclude<Role, 'PA'>, { email: string; platformRole?: string }> = {
  PV: { email: 'pv@example.com', platformRole: 'viewer' },
  TA: { email: 'ta@example.com' },
  TO: { email: 'to@example.com' },
  TV: { email: 'tv@example.com' },
  NT: { email: 'nt@example.com' },
};
const userObject = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'butler.butlerlabs.dev/v1alpha1',
  kind: 'User',
  metadata: { name },
  spec: { authType: 'internal', ...spec },
});

let sim: Simulator;
let server: TestServer;
const tokens = {} as Record<Role, string>;
const newToken = async (role: Role) => {
  const id: Identity =
    role === 'PA'
      ? platformAdminIdentity('matrix-admin')
      : {
          subject: `internal:${role.toLowerCase()}`,
          username: role.toLowerCase(),
          email: users[role].email,
          name: role,
          provider: 'internal',
          groups: [],
        };
  return (await server.app.butlerAuth.tokens.issue(id)).token;
};

before(async () => {
  const seed = [
    ...identitySeed(),
    teamObject('team-a', [
      { name: 'ta@example.com', role: 'admin' },
      { name: 'to@example.com', role: 'operator' },
      { name: 'tv@example.com', role: 'viewer' },
    ]),
    teamObject('team-b', []),
    ...ROLES.map((r) => teamObject(`gone-${r.toLowerCase()}`)),
    ...Object.entries(users).map(([role, u]) => userObject(role.toLowerCase(), u)),
    ...ROLES.map((r) => userObject(`victim-${r.toLowerCase()}`, { email: `victim-${r.toLowerCase()}@example.com` })),
    clusterObject('team-a', 'c1', 'team-a'),
    ...ROLES.map((r) => clusterObject('team-a', `del-${r.toLowerCase()}`, 'team-a')),
  ];
  ({ sim, server } = await startIdentityWorld(seed));
  for (const r of ROLES) tokens[r] = await newToken(r);
});
after(async () => {
  await server?.close();
  await sim?.stop();
});

/** A concrete path for a route pattern, per role where the call would change shared state. */
function concrete(route: string, role: Role): string {
  const r = role.toLowerCase();
  const [method, pattern] = route.split(' ') as [string, string];
  let path = pattern;
  if (pattern.startsWith('/api/proxy/tenant/')) return '/api/proxy/tenant/team-a/c1/api/v1/namespaces';
  if (pattern.startsWith('/api/proxy/management/')) return '/api/proxy/management/api/v1/namespaces/none-here';
  if (pattern.startsWith('/api/providers/')) path = path.replace(':ns', 'butler-system').replace(':name', 'none-here');
  if (pattern.startsWith('/api/management/')) path = path.replace(':ns', 'butler-system').replace(':name', 'none-here');
  if (pattern.startsWith('/api/addons/catalog/')) path = path.replace(':name', 'none-here');
  if (pattern === '/api/clusters/:ns/:name' && method === 'DELETE') path = `/api/clusters/team-a/del-${r}`;
  if (/^\/api\/(admin\/)?teams\/:name$/.test(pattern) && method === 'DELETE') path = path.replace(':name', `gone-${r}`);
  return path
    .replace(':ns', 'team-a')
    .replace(':name', pattern.startsWith('/api/clusters') ? 'c1' : 'team-a')
    .replace(':username', `victim-${r}`)
    .replace(':email', 'nobody%40example.com')
    .replace(':group', 'no-group')
    .replace(':env', 'no-env')
    .replace(':addon', 'none-here')
    .replace(':token', '0'.repeat(64))
    .replace(':id', 'f'.repeat(32));
}

/** Bodies: empty (so allowed writes stop at validation) except where the rule is decided with the body. */
function bodyFor(route: string, role: Role): unknown {
  if (route === 'POST /api/clusters')
    return { name: `mx-${role.toLowerCase()}`, providerConfigRef: 'harv', teamRef: 'team-a' };
  if (route === 'PUT /api/teams/:name' || route === 'PATCH /api/teams/:name') return { description: `by ${role}` };
  if (route === 'PATCH /api/clusters/:ns/:name/scale') return { replicas: 2 };
  return route.startsWith('GET ') || route.startsWith('DELETE ') || route.startsWith('OPTIONS ') ? undefined : {};
}

describe('route coverage', () => {
  test('every registered route is in the policy and in this matrix, and nothing else is', () => {
    const registered = new Set(
      server.app.registeredRoutes.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`),
    );
    for (const route of registered) {
      assert.ok(POLICY[route], `${route} has no rule in src/identity/policy.ts`);
      assert.ok(MATRIX[route] || TERMINALS.has(route), `${route} is missing from this matrix`);
    }
    for (const route of [...Object.keys(POLICY), ...Object.keys(MATRIX)])
      assert.ok(registered.has(route), `${route} is in the policy or the matrix but not a route`);
  });
});

describe('every route × every role', () => {
  test('403 exactly where the matrix refuses', async () => {
    const mistakes: string[] = [];
    let checked = 0;
    for (const [route, allowed] of Object.entries(MATRIX)) {
      const [method] = route.split(' ') as [string];
      for (const role of ROLES) {
        // Calls that end the session get a token of their own.
        const token = route.startsWith('POST /api/auth/') ? await newToken(role) : tokens[role];
        const body = bodyFor(route, role);
        const res = await fetch(`${server.url}${concrete(route, role)}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(20_000),
        });
        const text = await res.text();
        const deniedStatus = DENIED_STATUS[route] ?? 403;
        const isAllowed = allowed.split(' ').includes(role);
        const wrongLogin = res.status === 401 && LOGINS.has(route);
        // The management proxy sends what the matrix lets through as the user (impersonated): the management
        // cluster's own RBAC may then refuse it, naming that user (the server's own refusals do not).
        const refusedByKubernetes =
          res.status === 403 &&
          route.includes(' /api/proxy/management/') &&
          / is forbidden: User "/.test(String(JSON.parse(text).message));
        if (isAllowed && !refusedByKubernetes && (res.status === deniedStatus || (res.status === 401 && !wrongLogin)))
          mistakes.push(`${route} as ${role}: ${res.status} ${text.slice(0, 120)} (should be allowed)`);
        if (!isAllowed && (res.status !== deniedStatus || refusedByKubernetes))
          mistakes.push(`${route} as ${role}: ${res.status} ${text.slice(0, 120)} (should be ${deniedStatus})`);
        checked++;
        if (route === 'POST /api/auth/logout-everywhere') {
          // It refused every token of this user issued up to this second: the next checks need a later one.
          await new Promise((r) => setTimeout(r, 1100));
          tokens[role] = await newToken(role);
        }
      }
    }
    assert.deepEqual(mistakes, []);
    assert.ok(checked >= 90 * ROLES.length, `${checked} calls`);
  });

  test('terminals: management for platform admins only; a tenant cluster for its team (4403 otherwise)', async () => {
    const closeCode = (path: string, role: Role) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${server.url.replace('http', 'ws')}${path}`, {
          headers: { authorization: `Bearer ${tokens[role]}` },
        });
        ws.on('close', (code) => resolve(code));
        ws.on('error', () => undefined);
        let text = '';
        ws.on('message', (d) => {
          text += d.toString();
          // The session id sequence: the terminal started, so it was admitted.
          if (!text.includes('butler-session=')) return;
          resolve(1000);
          ws.terminate();
        });
      });
    const expectRefused = async (path: string, refused: Role[]) => {
      for (const role of ROLES) {
        const code = await closeCode(path, role);
        if (refused.includes(role)) assert.equal(code, 4403, `${path} as ${role}`);
        else assert.notEqual(code, 4403, `${path} as ${role}`);
      }
    };
    await expectRefused('/ws/terminal/management', ['PV', 'TA', 'TO', 'TV', 'NT']);
    await expectRefused('/ws/terminal/tenant/team-a/c1', ['NT']);
  });
});
