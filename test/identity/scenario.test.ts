// The identity model end to end: an admin creates teams and invites a user; the user sets a password, logs in, sees
// only their team's clusters (REST and live), cannot create as viewer, can after a promotion without logging in
// again, and is cut off (REST and sockets) within 2 s of being disabled.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import type { Simulator } from '../../sim/index.js';
import { TEST_ADMIN_PASSWORD, type TestServer } from '../helpers/server.js';
import { LiveClient } from '../live/live-client.js';
import { Client, eventually, inviteToken, startIdentityWorld } from './support.js';

let sim: Simulator;
let server: TestServer;
before(async () => {
  ({ sim, server } = await startIdentityWorld());
});
after(async () => {
  await server?.close();
  await sim?.stop();
});

const clusterBody = (name: string, teamRef?: string) => ({
  name,
  providerConfigRef: 'harv',
  ...(teamRef ? { teamRef } : {}),
});
const names = (a: { body: { clusters: { metadata: { namespace: string; name: string } }[] } }) =>
  a.body.clusters.map((c) => `${c.metadata.namespace}/${c.metadata.name}`).sort();

test('invite, set password, team-filtered REST and live views, promotion and disabling take effect at once', async () => {
  const admin = new Client(server.url);
  assert.equal((await admin.login('admin', TEST_ADMIN_PASSWORD)).status, 200);

  // Teams, and clusters in them (created by the admin, so they carry the admin as creator).
  for (const name of ['team-a', 'team-b']) {
    const t = await admin.call('POST', '/api/admin/teams', { name, displayName: name.toUpperCase() });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    assert.equal(t.body.name, name);
    assert.equal(t.body.displayName, name.toUpperCase());
  }
  assert.equal((await admin.call('POST', '/api/admin/teams', { name: 'team-a' })).status, 409);
  for (const [name, team] of [
    ['a1', 'team-a'],
    ['b1', 'team-b'],
  ] as const) {
    const c = await admin.call('POST', '/api/clusters', clusterBody(name, team));
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.equal(c.body.metadata.namespace, team, 'created in the team namespace');
    assert.deepEqual(c.body.spec.teamRef, { name: team });
    assert.equal(c.body.metadata.labels['butler.butlerlabs.dev/team'], team);
    assert.equal(c.body.metadata.annotations['butler.butlerlabs.dev/creator-email'], 'admin@butler.local');
  }
  assert.equal((await admin.call('POST', '/api/clusters', clusterBody('p1'))).status, 201, 'platform-level cluster');
  assert.deepEqual(names(await admin.call('GET', '/api/clusters')), ['butler-tenants/p1', 'team-a/a1', 'team-b/b1']);

  // Invite: a Pending user and a single-use link.
  const invited = await admin.call('POST', '/api/admin/users', { email: 'Jane.Doe@Example.com', displayName: 'Jane' });
  assert.equal(invited.status, 201, JSON.stringify(invited.body));
  assert.equal(invited.body.user.username, 'jane-doe');
  assert.equal(invited.body.user.email, 'jane.doe@example.com');
  assert.equal(invited.body.user.phase, 'Pending');
  assert.equal(invited.body.user.authType, 'internal');
  const token = inviteToken(invited.body.inviteUrl);
  assert.ok(token, invited.body.inviteUrl);
  assert.equal((await admin.call('POST', '/api/admin/users', { email: 'jane.doe@example.com' })).status, 409);
  const stored = (await fetch(`${sim.url}/apis/butler.butlerlabs.dev/v1alpha1/users/jane-doe`, {
    headers: { authorization: `Bearer ${sim.token}` },
  }).then((r) => r.json())) as { status: { inviteTokenHash: string } };
  assert.match(stored.status.inviteTokenHash, /^[0-9a-f]{64}$/);
  assert.notEqual(stored.status.inviteTokenHash, token, 'only a hash of the token is stored');

  const anon = new Client(server.url);
  assert.deepEqual((await anon.call('GET', `/api/auth/invite/${token}`)).body, {
    valid: true,
    email: 'jane.doe@example.com',
    displayName: 'Jane',
  });
  assert.deepEqual((await anon.call('GET', `/api/auth/invite/${'0'.repeat(64)}`)).body, { valid: false });
  // Pending users cannot log in yet.
  assert.equal((await anon.login('jane-doe', 'whatever-123')).status, 403);

  const added = await admin.call('POST', '/api/admin/teams/team-a/members', { email: 'jane.doe@example.com' });
  assert.deepEqual([added.status, added.body.role], [201, 'viewer'], JSON.stringify(added.body));

  const short = await anon.call('POST', '/api/auth/set-password', { token, password: 'short' });
  assert.equal(short.status, 400);
  assert.match(short.body.error, /at least 8 characters/);
  const set = await anon.call('POST', '/api/auth/set-password', { token, password: 'Jane-secret-42' });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  assert.equal(set.body.status, 'success');
  assert.equal(set.body.user.phase, 'Active');
  assert.ok(anon.cookie, 'set-password logs the user in');
  assert.equal((await anon.call('GET', '/api/auth/me')).body.email, 'jane.doe@example.com');
  const reuse = await new Client(server.url).call('POST', '/api/auth/set-password', {
    token,
    password: 'Other-secret-42',
  });
  assert.deepEqual([reuse.status, reuse.body], [400, { error: 'Invalid or expired invite token' }]);

  // Login: the contract's user object, no admin fields.
  const jane = new Client(server.url);
  const login = await jane.login('jane.doe@example.com', 'Jane-secret-42');
  assert.equal(login.status, 200, JSON.stringify(login.body));
  assert.equal(login.body.user.email, 'jane.doe@example.com');
  assert.equal(login.body.user.name, 'Jane');
  assert.deepEqual(login.body.user.teams, [{ name: 'team-a', role: 'viewer' }]);
  for (const field of ['role', 'isAdmin', 'isPlatformAdmin', 'username'])
    assert.equal(login.body.user[field], undefined, `${field} is for platform admins only`);
  assert.match(
    login.setCookie.find((c) => c.startsWith('butler_session='))!,
    /SameSite=Lax/i,
  );

  // REST: only team-a's clusters.
  assert.deepEqual(names(await jane.call('GET', '/api/clusters')), ['team-a/a1']);
  assert.deepEqual(names(await jane.call('GET', '/api/clusters?team=team-b')), []);
  assert.equal((await jane.call('GET', '/api/clusters/team-a/a1')).status, 200);
  assert.equal((await jane.call('GET', '/api/clusters/team-b/b1')).status, 403);
  assert.equal((await jane.call('GET', '/api/clusters/butler-tenants/p1')).status, 403);
  assert.equal((await jane.call('GET', '/api/users')).status, 200);
  assert.equal((await jane.call('GET', '/api/admin/users/jane-doe')).status, 403);
  // X-Butler-Team of a team she is not in is ignored, not an escalation.
  assert.deepEqual(names(await jane.call('GET', '/api/clusters', undefined, { 'x-butler-team': 'team-b' })), [
    'team-a/a1',
  ]);

  // Live: only team-a's clusters, and only the notifications of team-a.
  const live = await LiveClient.connect(server.url, { cookie: jane.cookie });
  const frames: { type: string; payload?: { resourceRef?: { team?: string }; title?: string } }[] = [];
  live.ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
  await live.waitFor('snapshot', () => live.types.includes('snapshot'));
  assert.deepEqual([...live.state.keys()], ['team-a/a1']);
  assert.equal((await admin.call('POST', '/api/clusters', clusterBody('b2', 'team-b'))).status, 201);
  assert.equal((await admin.call('POST', '/api/clusters', clusterBody('a2', 'team-a'))).status, 201);
  await live.waitFor('a2', () => live.state.has('team-a/a2'));
  assert.deepEqual([...live.state.keys()].sort(), ['team-a/a1', 'team-a/a2'], 'team-b frames never reach her');

  // Viewer: read-only.
  const denied = await jane.call('POST', '/api/clusters', clusterBody('j1', 'team-a'));
  assert.deepEqual([denied.status, denied.body], [403, { error: 'viewer role cannot create clusters' }]);
  assert.equal((await jane.call('DELETE', '/api/clusters/team-a/a1')).status, 403);

  // Promotion: no new login needed.
  const promoted = await admin.call(
    'PATCH',
    `/api/admin/teams/team-a/members/${encodeURIComponent('jane.doe@example.com')}`,
    {
      role: 'operator',
    },
  );
  assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
  const since = Date.now();
  let created: { status: number; body: any } | undefined;
  await eventually(
    'the promotion to count',
    async () => {
      created = await jane.call('POST', '/api/clusters', clusterBody('j1', 'team-a'));
      return created.status === 201;
    },
    2000,
  );
  assert.ok(Date.now() - since < 2000);
  assert.equal(created!.body.metadata.annotations['butler.butlerlabs.dev/creator-email'], 'jane.doe@example.com');
  assert.deepEqual((await jane.call('GET', '/api/auth/me')).body.teams, [{ name: 'team-a', role: 'operator' }]);
  await live.waitFor('j1', () => live.state.has('team-a/j1'));
  await live.waitFor('the team notification', () =>
    frames.some((f) => f.type === 'notification' && f.payload?.resourceRef?.team === 'team-a'),
  );
  assert.ok(
    frames.every((f) => f.type !== 'notification' || f.payload?.resourceRef?.team === 'team-a'),
    'no notification of other teams or of the platform',
  );
  assert.equal((await jane.call('POST', '/api/clusters', clusterBody('j2', 'team-b'))).status, 403, 'not in team-b');

  // The management cluster received her writes as her (its audit log): impersonated by the server's account, in
  // the groups butler-api-users and system:authenticated; the admin's team writes likewise as the admin.
  assert.equal((await jane.call('PATCH', '/api/clusters/team-a/j1/scale', { replicas: 3 })).status, 200);
  assert.equal((await jane.call('DELETE', '/api/clusters/team-a/j1')).status, 200);
  const asJane = sim.audit.filter((e) => e.impersonatedUser?.username === 'jane.doe@example.com');
  const janeWrites = asJane
    .filter((e) => e.verb !== 'get' && e.verb !== 'list')
    .map(
      (e) =>
        `${e.verb} ${e.objectRef.resource} ${e.objectRef.namespace}/${e.objectRef.name ?? ''} ${e.responseStatus.code}`,
    );
  assert.deepEqual(janeWrites, [
    'create tenantclusters team-a/ 201',
    'patch tenantclusters team-a/j1 200',
    'delete tenantclusters team-a/j1 200',
  ]);
  for (const e of asJane) {
    assert.deepEqual(e.impersonatedUser!.groups, ['butler-api-users', 'system:authenticated']);
    assert.equal(e.user.username, 'admin', "sent by the server's own account (the simulator's admin token here)");
  }
  const teamCreates = sim.audit.filter((e) => e.verb === 'create' && e.objectRef.resource === 'teams');
  assert.deepEqual(
    teamCreates.map((e) => e.impersonatedUser?.username),
    teamCreates.map(() => 'admin@butler.local'),
  );
  assert.ok(teamCreates.length >= 2);

  // Disabling: REST refused and the socket closed within 2 s, on the same session.
  const disabledAt = Date.now();
  assert.equal((await admin.call('POST', '/api/admin/users/jane-doe/disable')).status, 200);
  const closed = await Promise.race([live.closed, new Promise<null>((r) => setTimeout(() => r(null), 2000))]);
  assert.ok(closed, 'the socket was closed within 2 s');
  assert.equal(closed.code, 4403);
  assert.ok(Date.now() - disabledAt < 2000);
  const after = await jane.call('GET', '/api/clusters');
  assert.deepEqual([after.status, after.body], [403, { error: 'account disabled' }]);
  assert.equal((await jane.call('GET', '/api/auth/me')).status, 403);
  const upgrade = await LiveClient.connect(server.url, { cookie: jane.cookie }).then(
    (c) => (c.close(), 101),
    (err: { status?: number }) => err.status,
  );
  assert.equal(upgrade, 403, 'a disabled user cannot open a socket either');
  assert.equal((await new Client(server.url).login('jane-doe', 'Jane-secret-42')).status, 403);

  // Enabling again restores access; deleting the user ends the session and removes the password Secret.
  assert.equal((await admin.call('POST', '/api/admin/users/jane-doe/enable')).status, 200);
  await eventually('re-enabled', async () => (await jane.call('GET', '/api/clusters')).status === 200, 2000);
  assert.equal((await admin.call('DELETE', '/api/admin/users/jane-doe')).status, 200);
  await eventually('deleted', async () => (await jane.call('GET', '/api/clusters')).status === 401, 2000);
  const secret = await fetch(`${sim.url}/api/v1/namespaces/butler-system/secrets/butler-user-jane-doe-password`, {
    headers: { authorization: `Bearer ${sim.token}` },
  });
  assert.equal(secret.status, 404, 'the password Secret is deleted with the user');
  live.close();
  void WebSocket;
});

test('a user without any team gets a working /me with no teams, and nothing else', async () => {
  const admin = new Client(server.url);
  await admin.login('admin', TEST_ADMIN_PASSWORD);
  const invited = await admin.call('POST', '/api/admin/users', { email: 'solo@example.com' });
  const user = new Client(server.url);
  const set = await user.call('POST', '/api/auth/set-password', {
    token: inviteToken(invited.body.inviteUrl),
    password: 'Solo-secret-42',
  });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  const me = await user.call('GET', '/api/auth/me');
  assert.equal(me.status, 200);
  assert.deepEqual(me.body.teams, []);
  assert.equal((await user.call('GET', '/api/auth/teams')).status, 200);
  const clusters = await user.call('GET', '/api/clusters');
  assert.deepEqual([clusters.status, clusters.body], [403, { error: 'no team access - contact your administrator' }]);
});

test('invite input errors keep the messages of the hand checks (the schema leaves these fields loose)', async () => {
  const admin = new Client(server.url);
  assert.equal((await admin.login('admin', TEST_ADMIN_PASSWORD)).status, 200);
  const bad = async (body: unknown) => {
    const a = await admin.call('POST', '/api/admin/users', body);
    return [a.status, (a.body as { error: string }).error];
  };
  assert.deepEqual(await bad(['x']), [400, 'request body must be a JSON object']);
  assert.deepEqual(await bad({ email: '' }), [400, 'Email is required']);
  assert.deepEqual(await bad({ email: 'not-an-email' }), [400, 'Email is not a valid email address']);
  assert.deepEqual(await bad({ email: 'a@b.c', displayName: 5 }), [
    400,
    'displayName must be a string of at most 256 characters',
  ]);
  assert.deepEqual(await bad({ email: 'a@b.c', username: 'Not_A_Label' }), [
    400,
    'username must be a DNS-1123 label (lowercase letters, digits and -, at most 63 characters)',
  ]);
  assert.equal((await admin.call('GET', '/api/admin/users/Not_A_Label')).status, 404);
});
