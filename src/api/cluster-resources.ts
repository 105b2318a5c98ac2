// What a tenant cluster is made of in the management cluster: its MachineRequests, LoadBalancerRequests and hosted
// control plane (docs/api.md §3.1).
import { Type } from '@sinclair/typebox';
import type { App } from '../http/app-type.js';
import { notFound } from '../http/errors.js';
import { isKubeStatus, toHttpError } from '../kube/errors.js';
import type { KubeObject } from '../kube/cache.js';
import { compareByNamespaceName, stripManagedFields } from '../kube/cache-store.js';
import { ClusterParams, getTenantCluster } from './clusters.js';
import type { ApiContext } from './context.js';
import { LABEL_CLUSTER, listCapped, paths } from './kube-helpers.js';
import { K8sObject } from './schemas.js';
import { controlPlaneSummary, TenantControlPlaneSchema, type TenantControlPlane } from './views/control-plane.js';

/** At most this many objects of one kind are listed for one cluster (a cluster has a handful). */
export const MAX_OBJECTS_PER_CLUSTER = 1000;

/** The namespace of the cluster's control-plane objects: its tenant namespace, else its own. */
export function controlPlaneNamespace(cluster: KubeObject): string {
  const tenantNs = (cluster.status as { tenantNamespace?: string } | undefined)?.tenantNamespace;
  return tenantNs || (cluster.metadata?.namespace ?? '');
}

async function listOfCluster(
  ctx: ApiContext,
  ns: string,
  name: string,
  path: string,
  kind: string,
  resource: string,
): Promise<KubeObject[]> {
  await getTenantCluster(ctx, ns, name);
  try {
    const items = await listCapped<KubeObject>(
      ctx.kube,
      path,
      { labelSelector: `${LABEL_CLUSTER}=${name}` },
      MAX_OBJECTS_PER_CLUSTER,
    );
    return items.map(stripManagedFields).sort(compareByNamespaceName);
  } catch (err) {
    throw toHttpError(err, { kind, namespace: ns, verb: 'list', resource });
  }
}

export function registerClusterResourceRoutes(app: App, ctx: ApiContext): void {
  app.get(
    '/api/clusters/:ns/:name/machines',
    {
      schema: {
        summary: "A tenant cluster's MachineRequests (label butler.butlerlabs.dev/cluster=<name>)",
        params: ClusterParams,
        response: { 200: Type.Object({ machineRequests: Type.Array(K8sObject('MachineRequest')) }) },
      },
    },
    async (request) => {
      const { ns, name } = request.params;
      const machineRequests = await listOfCluster(
        ctx,
        ns,
        name,
        paths.machineRequests(ns),
        'MachineRequest',
        'machinerequests',
      );
      return { machineRequests };
    },
  );

  app.get(
    '/api/clusters/:ns/:name/load-balancers',
    {
      schema: {
        summary: "A tenant cluster's LoadBalancerRequests (label butler.butlerlabs.dev/cluster=<name>)",
        params: ClusterParams,
        response: { 200: Type.Object({ loadBalancerRequests: Type.Array(K8sObject('LoadBalancerRequest')) }) },
      },
    },
    async (request) => {
      const { ns, name } = request.params;
      const loadBalancerRequests = await listOfCluster(
        ctx,
        ns,
        name,
        paths.loadBalancerRequests(ns),
        'LoadBalancerRequest',
        'loadbalancerrequests',
      );
      return { loadBalancerRequests };
    },
  );

  app.get(
    '/api/clusters/:ns/:name/tenantcontrolplane',
    {
      schema: {
        summary: "The status of a tenant cluster's hosted control plane (Kamaji TenantControlPlane)",
        params: ClusterParams,
        response: { 200: TenantControlPlaneSchema },
      },
    },
    async (request) => {
      const { ns, name } = request.params;
      const cluster = await getTenantCluster(ctx, ns, name);
      const tcpNs = controlPlaneNamespace(cluster);
      try {
        const tcp = await ctx.kube.request<TenantControlPlane>({
          method: 'GET',
          path: paths.tenantControlPlane(tcpNs, name),
        });
        return controlPlaneSummary(tcp);
      } catch (err) {
        // Also when the TenantControlPlane kind is not installed at all.
        if (isKubeStatus(err, 404))
          throw notFound(`TenantControlPlane of cluster "${ns}/${name}" not found in namespace "${tcpNs}"`);
        throw toHttpError(err, {
          kind: 'TenantControlPlane',
          namespace: tcpNs,
          name,
          verb: 'get',
          resource: 'tenantcontrolplanes',
        });
      }
    },
  );
}
