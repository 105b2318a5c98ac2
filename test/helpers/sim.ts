// A simulator prepared like a Butler management cluster: the Butler CRDs, the system and tenant namespaces, and the
// RBAC of deploy/base/api-users.yaml (what users may do when the server writes on their behalf, impersonated).

import { apiUsersRbac, butlerCrds, fullAccessRbac } from '../../sim/crds.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../sim/index.js';

export function namespace(name: string): object {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

type Named = { kind?: string; metadata?: { name?: string } };
const key = (o: object) => `${(o as Named).kind}/${(o as Named).metadata?.name}`;

/** The Butler simulator; an object of the api-users RBAC that `opts.seed` brings itself replaces the default. */
export function startButlerSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const own = new Set((opts.seed ?? []).map(key));
  return startSimulator({
    crds: butlerCrds(),
    ...opts,
    seed: [
      namespace('butler-system'),
      namespace('butler-tenants'),
      ...apiUsersRbac().filter((o) => !own.has(key(o))),
      ...(opts.seed ?? []),
    ],
  });
}

/**
 * A ClusterRole allowing everything, bound to one user: what a site gives its platform admins so that kubectl
 * through the management proxy (sent as that user) may do what the server's own account could.
 */
export function clusterAdminFor(user: string): object[] {
  return fullAccessRbac(user, 'test-cluster-admin');
}

/** A request to the simulator with its token; throws unless it answers 2xx. Resolves with the JSON answer. */
export async function simRequest(
  sim: Simulator,
  method: string,
  path: string,
  body: unknown,
  contentType = 'application/json',
): Promise<unknown> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${sim.token}`, 'content-type': contentType },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export interface TenantClusterFixture {
  namespace: string;
  name: string;
  /** The tenant namespace that holds `<name>-admin-kubeconfig`. */
  tenantNamespace: string;
  /** The admin kubeconfig stored in that Secret (e.g. a second simulator's). */
  kubeconfig: string;
}

/** Seed objects: the TenantCluster and its admin kubeconfig Secret (the tenant namespace must be seeded too). */
export function tenantClusterSeed(t: TenantClusterFixture): object[] {
  return [
    {
      apiVersion: 'butler.butlerlabs.dev/v1alpha1',
      kind: 'TenantCluster',
      metadata: { name: t.name, namespace: t.namespace },
      spec: { kubernetesVersion: 'v1.30.2', providerConfigRef: { name: 'pmx' }, workers: { replicas: 1 } },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${t.name}-admin-kubeconfig`, namespace: t.tenantNamespace },
      data: { value: Buffer.from(t.kubeconfig).toString('base64') },
    },
  ];
}

/** What the Butler controller reports once the cluster is up: phase Ready and the tenant namespace. */
export async function markTenantClusterReady(sim: Simulator, t: TenantClusterFixture): Promise<void> {
  await simRequest(
    sim,
    'PATCH',
    `/apis/butler.butlerlabs.dev/v1alpha1/namespaces/${t.namespace}/tenantclusters/${t.name}/status`,
    { status: { phase: 'Ready', tenantNamespace: t.tenantNamespace } },
    'application/merge-patch+json',
  );
}
