// /ws/clusters per-client team filters (the LiveHub's audiences): a cluster that moves to another team is deleted for
// the sockets that saw it and appears for the others; a resume replays only the socket's own teams' events; a
// membership change gives the open socket a resync with its new view.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Simulator } from '../../sim/index.js';
import { TEST_ADMIN_PASSWORD, type TestServer } from '../helpers/server.js';
import {
  Client,
  clusterObject,
  identitySeed,
  inviteToken,
  startIdentityWorld,
  teamObject,
} from '../identity/support.js';
import { LiveClient } from './live-client.js';
import { SimApi } from './fixtures.js';

const GROUP = '/apis/butler.butlerlabs.dev/v1alpha1';
let sim: Simulator;
let server: TestServer;
let api: SimApi;

before(async () => {
  ({ sim, server } = await startIdentityWorld([
    ...identitySeed(),
    teamObject('team-a', [{ name: 'amy@example.com', role: 'viewer' }]),
    teamObject('team-b'),
    {
      apiVersion: 'butler.butlerlabs.dev/v1alpha1',
      kind: 'User',
      metadata: { name: 'amy' },
      spec: { email: 'amy@example.com', authType: 'internal' },
    },
    clusterObject('team-a', 'a1', 'team-a'),
    clusterObject('team-b', 'b1', 'team-b'),
    clusterObject('butler-tenants', 'p1'),
  ]));
  api = new SimApi(sim);
});
after(async () => {
  await server?.close();
  await sim?.stop();
});

const clusterTypes = (c: LiveClient) => c.types.filter((t) => t !== 'notification');
const keys = (c: LiveClient) => [...c.state.keys()].sort();
const setTeam = (ns: string, name: string, team: string) =>
  api.ok(
    'PATCH',
    `${GROUP}/namespaces/${ns}/tenantclusters/${name}`,
    { spec: { teamRef: { name: team } } },
    'application/merge-patch+json',
  );

test('team filters: moves, resumes and membership changes', async () => {
  const admin = new Client(server.url);
  assert.equal((await admin.login('admin', TEST_ADMIN_PASSWORD)).status, 200);
  const invite = await admin.call('POST', '/api/admin/users/amy/invite');
  assert.equal(invite.status, 200, JSON.stringify(invite.body));
  const amy = new Client(server.url);
  const set = await amy.call('POST', '/api/auth/set-password', {
    token: inviteToken(invite.body.inviteUrl),
    password: 'Amy-secret-42',
  });
  assert.equal(set.status, 200, JSON.stringify(set.body));

  const all = await LiveClient.connect(server.url, { cookie: admin.cookie });
  let mine = await LiveClient.connect(server.url, { cookie: amy.cookie });
  await all.waitFor('snapshot', () => all.types.includes('snapshot'));
  await mine.waitFor('snapshot', () => mine.types.includes('snapshot'));
  assert.deepEqual(keys(all), ['butler-tenants/p1', 'team-a/a1', 'team-b/b1']);
  assert.deepEqual(keys(mine), ['team-a/a1']);

  // a1 moves to team-b: gone for amy, updated for the admin; and back.
  await setTeam('team-a', 'a1', 'team-b');
  await mine.waitFor('a1 deleted', () => !mine.state.has('team-a/a1'));
  await all.waitFor('a1 moved', () => clusterTypes(all).length === 2);
  assert.deepEqual(clusterTypes(mine), ['snapshot', 'cluster_delete']);
  assert.deepEqual(keys(all), ['butler-tenants/p1', 'team-a/a1', 'team-b/b1']);
  await setTeam('team-a', 'a1', 'team-a');
  await mine.waitFor('a1 back', () => mine.state.has('team-a/a1'));
  assert.deepEqual(clusterTypes(mine), ['snapshot', 'cluster_delete', 'cluster_update']);

  // Resume: only team-a's events of those missed.
  const from = mine.lastResourceVersion;
  const state = new Map(mine.state);
  mine.close();
  await mine.closed;
  await api.ok('POST', `${GROUP}/namespaces/team-b/tenantclusters`, clusterObject('team-b', 'b2', 'team-b'));
  await api.ok('POST', `${GROUP}/namespaces/butler-tenants/tenantclusters`, clusterObject('butler-tenants', 'p2'));
  await api.ok('POST', `${GROUP}/namespaces/team-a/tenantclusters`, clusterObject('team-a', 'a2', 'team-a'));
  await all.waitFor('a2 for the admin', () => all.state.has('team-a/a2'));
  mine = await LiveClient.connect(server.url, { cookie: amy.cookie, resourceVersion: from, state });
  await mine.waitFor('a2 resumed', () => mine.state.has('team-a/a2'));
  assert.deepEqual(clusterTypes(mine), ['cluster_update'], 'only the team-a event was replayed');
  assert.deepEqual(keys(mine), ['team-a/a1', 'team-a/a2']);

  // Amy joins team-b: her open socket gets a resync with both teams' clusters.
  await api.ok(
    'PATCH',
    `${GROUP}/teams/team-b`,
    { spec: { access: { users: [{ name: 'amy@example.com', role: 'viewer' }] } } },
    'application/merge-patch+json',
  );
  await mine.waitFor('the resync of her new view', () => clusterTypes(mine).includes('resync'), 10_000);
  assert.deepEqual(keys(mine), ['team-a/a1', 'team-a/a2', 'team-b/b1', 'team-b/b2']);
  all.close();
  mine.close();
});
