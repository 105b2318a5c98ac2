// /api/admin/networks and /api/admin/ipallocations: NetworkPools and IPAllocations of all namespaces with their status
// (docs/api.md §3.8). Read-only; the IPAM controller owns both.
import { Type } from '@sinclair/typebox';
import type { App } from '../http/app-type.js';
import type { KubeObject } from '../kube/cache.js';
import { stripManagedFields } from '../kube/cache-store.js';
import { notFound } from '../http/errors.js';
import { isKubeStatus, toHttpError } from '../kube/errors.js';
import type { ApiContext } from './context.js';
import { listCapped, paths } from './kube-helpers.js';
import { K8sObject } from './schemas.js';
import * as R from './validation/rules.js';

const PoolParams = Type.Object({ ns: R.NamespaceParam(), name: R.NameParam() });
const NetworkPoolSchema = K8sObject('NetworkPool');
const IPAllocationSchema = K8sObject('IPAllocation');
const AllocationList = Type.Object({ allocations: Type.Array(IPAllocationSchema) });

/** At most this many objects per answer (the same bound as other lists of the API). */
export const MAX_LISTED = 5000;

const ListQuery = Type.Object(
  { namespace: Type.Optional(Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 })) },
  { additionalProperties: false },
);

const byNamespaceAndName = (a: KubeObject, b: KubeObject) =>
  (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
  (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');

async function listAll(ctx: ApiContext, path: string, kind: string, resource: string): Promise<KubeObject[]> {
  try {
    const items = await listCapped<KubeObject>(ctx.kube, path, {}, MAX_LISTED);
    return items.map((o) => stripManagedFields(o)).sort(byNamespaceAndName);
  } catch (err) {
    throw toHttpError(err, { kind, verb: 'list', resource });
  }
}

export function registerIpPoolRoutes(app: App, ctx: ApiContext): void {
  app.get(
    '/api/admin/networks',
    {
      schema: {
        summary: 'Network pools (NetworkPool objects with their status)',
        querystring: ListQuery,
        response: { 200: Type.Object({ pools: Type.Array(NetworkPoolSchema) }) },
      },
    },
    async (request) => {
      const { namespace } = request.query;
      return { pools: await listAll(ctx, paths.networkPools(namespace), 'NetworkPool', 'networkpools') };
    },
  );

  app.get(
    '/api/admin/ipallocations',
    {
      schema: {
        summary: 'IP allocations (IPAllocation objects with their status)',
        querystring: ListQuery,
        response: { 200: AllocationList },
      },
    },
    async (request) => {
      const { namespace } = request.query;
      return {
        allocations: await listAll(ctx, paths.ipAllocations(namespace), 'IPAllocation', 'ipallocations'),
      };
    },
  );

  const getPool = async (ns: string, name: string): Promise<KubeObject> => {
    try {
      return stripManagedFields(
        await ctx.kube.request<KubeObject>({ method: 'GET', path: `${paths.networkPools(ns)}/${name}` }),
      );
    } catch (err) {
      if (isKubeStatus(err, 404)) throw notFound(`NetworkPool "${ns}/${name}" not found`);
      throw toHttpError(err, { kind: 'NetworkPool', namespace: ns, name, verb: 'get', resource: 'networkpools' });
    }
  };

  app.get(
    '/api/admin/networks/:ns/:name',
    { schema: { summary: 'One network pool', params: PoolParams, response: { 200: NetworkPoolSchema } } },
    async (request) => {
      const { ns, name } = request.params;
      return getPool(ns, name);
    },
  );

  app.get(
    '/api/admin/networks/:ns/:name/allocations',
    {
      schema: {
        summary: "A network pool's IP allocations (spec.poolRef names it)",
        params: PoolParams,
        response: { 200: AllocationList },
      },
    },
    async (request) => {
      const { ns, name } = request.params;
      await getPool(ns, name);
      // poolRef has no namespace: it names a pool of the allocation's own namespace.
      const inNamespace = await listAll(ctx, paths.ipAllocations(ns), 'IPAllocation', 'ipallocations');
      const allocations = inNamespace.filter(
        (a) => (a.spec as { poolRef?: { name?: string } } | undefined)?.poolRef?.name === name,
      );
      return { allocations };
    },
  );
}
