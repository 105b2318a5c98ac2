// "No rule is unused": for each verb of each rule of one deploy/ Role or ClusterRole, the verb is removed (the rest
// of the RBAC unchanged), a fresh butler-server runs the feature script, and it must fail with the simulator
// having refused exactly that verb. One simulator for all; the role is restored after each run.
import assert from 'node:assert/strict';
import type { Simulator } from '../../sim/index.js';
import { renderKustomization } from '../packaging/render.js';
import {
  exerciseEveryFeature,
  keepClusterCacheCold,
  readClusterBeforeSync,
  startServerAsServiceAccount,
  type World,
} from './scenario.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

async function admin(sim: Simulator, method: string, path: string, body?: unknown) {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Objects a failed run may leave behind, removed before the next run so only RBAC decides its outcome. */
const LEFTOVERS = [
  '/apis/butler.butlerlabs.dev/v1alpha1/namespaces/butler-tenants/tenantclusters/rbac-new',
  '/apis/butler.butlerlabs.dev/v1alpha1/namespaces/butler-tenants/tenantclusters/rbac-proxied',
  '/apis/butler.butlerlabs.dev/v1alpha1/teams/rbac-team',
  '/apis/butler.butlerlabs.dev/v1alpha1/users/rbac-user',
  '/api/v1/namespaces/butler-system/secrets/butler-user-rbac-user-password',
  '/apis/butler.butlerlabs.dev/v1alpha1/namespaces/butler-tenants/tenantaddons/longhorn-alpha',
  '/apis/butler.butlerlabs.dev/v1alpha1/managementaddons/longhorn',
  '/apis/butler.butlerlabs.dev/v1alpha1/namespaces/butler-system/providerconfigs/rbac-pmx',
  '/api/v1/namespaces/butler-system/secrets/rbac-pmx-credentials',
  '/apis/butler.butlerlabs.dev/v1alpha1/identityproviders/rbac-admin-idp',
  '/api/v1/namespaces/butler-system/secrets/rbac-admin-idp-oidc-secret',
  `/api/v1/namespaces/butler-system/configmaps/butler-revoked-${'e'.repeat(32)}`,
  '/api/v1/namespaces/butler-system/pods?labelSelector=app.kubernetes.io%2Fname%3Dbutler-terminal',
  '/api/v1/namespaces/butler-system/secrets?labelSelector=app.kubernetes.io%2Fname%3Dbutler-terminal',
];

export interface VerbCase {
  rule: number;
  verb: string;
  resources: string[];
}

/** Every (rule, verb) of the rendered role `kind/name`. */
export async function verbCases(kind: 'ClusterRole' | 'Role', name: string): Promise<VerbCase[]> {
  const { objects } = await renderKustomization('deploy/');
  const role = objects.find((o) => o.kind === kind && o.metadata.name === name) as unknown as { rules: Rule[] };
  assert.ok(role, `${kind} ${name} is rendered`);
  return role.rules.flatMap((r, rule) => r.verbs.map((verb) => ({ rule, verb, resources: r.resources })));
}

export async function proveVerbIsUsed(
  world: World,
  kind: 'ClusterRole' | 'Role',
  name: string,
  c: VerbCase,
  opts: { coldClusterCache?: boolean } = {},
): Promise<string> {
  const sim = world.management;
  const path =
    kind === 'ClusterRole'
      ? `/apis/rbac.authorization.k8s.io/v1/clusterroles/${name}`
      : `/apis/rbac.authorization.k8s.io/v1/namespaces/butler-system/roles/${name}`;
  for (const p of LEFTOVERS) await admin(sim, 'DELETE', p);
  const original = (await admin(sim, 'GET', path)).body;
  const rules: Rule[] = structuredClone(original.rules);
  rules[c.rule]!.verbs = rules[c.rule]!.verbs.filter((v) => v !== c.verb);
  const reduced = { ...original, rules: rules.filter((r) => r.verbs.length > 0) };
  const put = await admin(sim, 'PUT', path, reduced);
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const firstDenial = sim.denials.length;
  if (opts.coldClusterCache) keepClusterCacheCold(sim);
  const server = await startServerAsServiceAccount(world);
  const done: string[] = [];
  let failure: Error | undefined;
  try {
    if (opts.coldClusterCache) await readClusterBeforeSync(server);
    else await exerciseEveryFeature(server, sim, done);
  } catch (err) {
    failure = err as Error;
  } finally {
    await server.close();
    const current = (await admin(sim, 'GET', path)).body;
    const restored = await admin(sim, 'PUT', path, { ...original, metadata: current.metadata });
    assert.equal(restored.status, 200, JSON.stringify(restored.body));
  }
  const label = `${kind} ${name}: ${c.verb} on ${c.resources.join(',')}`;
  assert.ok(failure, `without ${label} every feature still worked (${done.length} steps): the grant is unused`);
  const refused = sim.denials
    .slice(firstDenial)
    .filter(
      (d) =>
        d.verb === c.verb &&
        c.resources.includes(d.subresource ? `${d.resource}/${d.subresource}` : d.resource) &&
        d.user === 'system:serviceaccount:butler-system:butler-server',
    );
  assert.ok(refused.length > 0, `${label}: the feature failed, but not because of this verb: ${failure.message}`);
  return failure.message.split('\n')[0]!;
}
