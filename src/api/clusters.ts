// /api/clusters: list (from the watch cache), create, get, delete, scale (docs/api.md §3.1).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { badRequest, notFound } from '../http/errors.js';
import { isKubeStatus, toHttpError } from '../kube/errors.js';
import type { KubeObject } from '../kube/cache.js';
import { getCached, listCachedJson } from '../kube/cached-read.js';
import { buildTenantCluster, type CreateClusterRequest, type ResolvedProvider } from './cluster-spec.js';
import { waitVisible, type ApiContext } from './context.js';
import { createJsonTextSender } from './json-reply.js';
import { createdBy, paths, STRICT } from './kube-helpers.js';
import { stripManagedFields } from '../kube/cache-store.js';
import { K8sObject, MessageResponse } from './schemas.js';
import * as R from './validation/rules.js';

export const TenantClusterSchema = K8sObject('TenantCluster');

export const ClusterParams = Type.Object({ ns: R.NamespaceParam(), name: R.NameParam() });

const CreateClusterBody = Type.Object(
  {
    name: R.DnsLabel(),
    namespace: Type.Optional(R.DnsLabel()),
    kubernetesVersion: Type.Optional(R.KubernetesVersion()),
    providerConfigRef: R.DnsLabel(),
    workerReplicas: Type.Optional(R.Replicas()),
    workerCPU: Type.Optional(R.WorkerCpu()),
    workerMemory: Type.Optional(R.Quantity()),
    workerDiskSize: Type.Optional(R.Quantity()),
    loadBalancerStart: Type.Optional(R.IpLiteral()),
    loadBalancerEnd: Type.Optional(R.IpLiteral()),
    harvesterNamespace: Type.Optional(R.DnsLabel()),
    harvesterNetworkName: Type.Optional(R.HarvesterRef()),
    harvesterImageName: Type.Optional(R.HarvesterRef()),
    nutanixClusterUUID: Type.Optional(R.Uuid()),
    nutanixSubnetUUID: Type.Optional(R.Uuid()),
    nutanixImageUUID: Type.Optional(R.Uuid()),
    nutanixStorageContainerUUID: Type.Optional(R.Uuid()),
    proxmoxNode: Type.Optional(R.ProxmoxNode()),
    proxmoxStorage: Type.Optional(R.ProxmoxStorage()),
    proxmoxTemplateID: Type.Optional(R.TemplateId()),
  },
  { title: 'CreateClusterRequest' },
);

const ScaleBody = Type.Object({
  replicas: R.Replicas({ fullMessage: 'replicas must be an integer between 1 and 100' }),
});

const ListQuery = Type.Object({ namespace: Type.Optional(R.DnsLabel()) });

const wrapClusters = (listJson: string) => `{"clusters":${listJson}}`;

export function clusterNotFound(ns: string, name: string) {
  return notFound(`TenantCluster "${ns}/${name}" not found`);
}

/** The TenantCluster from the cache (synced) or a GET; 404 `TenantCluster "<ns>/<name>" not found`. */
export async function getTenantCluster(ctx: ApiContext, ns: string, name: string): Promise<KubeObject> {
  const cluster = await getCached(ctx.reads.clusters, ns, name);
  if (!cluster) throw clusterNotFound(ns, name);
  return cluster;
}

async function resolveProvider(ctx: ApiContext, ref: string, namespace: string): Promise<ResolvedProvider> {
  const namespaces = [namespace, ...ctx.config.providerNamespaces.filter((n) => n !== namespace)];
  for (const ns of namespaces) {
    try {
      const pc = await ctx.kube.request<KubeObject>({ method: 'GET', path: paths.providerConfig(ns, ref) });
      return { name: ref, namespace: ns, spec: pc.spec as ResolvedProvider['spec'] };
    } catch (err) {
      if (!isKubeStatus(err, 404))
        throw toHttpError(err, {
          kind: 'ProviderConfig',
          namespace: ns,
          name: ref,
          verb: 'get',
          resource: 'providerconfigs',
        });
    }
  }
  const where = namespaces.map((n) => `"${n}"`).join(' or ');
  throw badRequest(`providerConfigRef: no ProviderConfig "${ref}" in namespace ${where}`, {
    field: 'providerConfigRef',
  });
}

export function registerClusterRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const listSender = createJsonTextSender();

  app.get(
    '/api/clusters',
    {
      schema: {
        summary: 'List tenant clusters',
        querystring: ListQuery,
        response: { 200: Type.Object({ clusters: Type.Array(TenantClusterSchema) }) },
      },
    },
    async (request, reply) => {
      const { namespace } = request.query as Static<typeof ListQuery>;
      return listSender.send(request, reply, await listCachedJson(ctx.reads.clusters, namespace), wrapClusters);
    },
  );

  app.post(
    '/api/clusters',
    {
      schema: {
        summary: 'Create a tenant cluster',
        body: CreateClusterBody,
        response: { 201: TenantClusterSchema },
      },
    },
    async (request, reply) => {
      const body = request.body as CreateClusterRequest;
      const namespace = body.namespace ?? ctx.config.tenantNamespace;
      const provider = await resolveProvider(ctx, body.providerConfigRef, namespace);
      const object = buildTenantCluster(body, namespace, provider, createdBy(request));
      let created: KubeObject;
      try {
        created = await ctx.kube.request<KubeObject>({
          method: 'POST',
          path: paths.tenantClusters(namespace),
          query: STRICT,
          body: object,
        });
      } catch (err) {
        if (isKubeStatus(err, 404)) throw notFound(`namespace "${namespace}" not found`);
        throw toHttpError(err, {
          kind: 'TenantCluster',
          namespace,
          name: body.name,
          verb: 'create',
          resource: 'tenantclusters',
        });
      }
      await waitVisible(ctx.clusters, created);
      return reply.code(201).send(stripManagedFields(created));
    },
  );

  app.get(
    '/api/clusters/:ns/:name',
    { schema: { summary: 'Get a tenant cluster', params: ClusterParams, response: { 200: TenantClusterSchema } } },
    async (request) => {
      const { ns, name } = request.params as Static<typeof ClusterParams>;
      return getTenantCluster(ctx, ns, name);
    },
  );

  app.delete(
    '/api/clusters/:ns/:name',
    { schema: { summary: 'Delete a tenant cluster', params: ClusterParams, response: { 200: MessageResponse } } },
    async (request) => {
      const { ns, name } = request.params as Static<typeof ClusterParams>;
      try {
        const res = await ctx.kube.request<KubeObject>({
          method: 'DELETE',
          path: paths.tenantCluster(ns, name),
          query: { propagationPolicy: 'Background' },
        });
        await waitVisible(ctx.clusters, res);
      } catch (err) {
        throw toHttpError(err, {
          kind: 'TenantCluster',
          namespace: ns,
          name,
          verb: 'delete',
          resource: 'tenantclusters',
        });
      }
      return { message: 'cluster deletion initiated' };
    },
  );

  app.patch(
    '/api/clusters/:ns/:name/scale',
    {
      schema: {
        summary: 'Scale the workers of a tenant cluster',
        params: ClusterParams,
        body: ScaleBody,
        response: { 200: TenantClusterSchema },
      },
    },
    async (request) => {
      const { ns, name } = request.params as Static<typeof ClusterParams>;
      const { replicas } = request.body as Static<typeof ScaleBody>;
      try {
        const patched = await ctx.kube.request<KubeObject>({
          method: 'PATCH',
          path: paths.tenantCluster(ns, name),
          query: STRICT,
          contentType: 'application/merge-patch+json',
          body: { spec: { workers: { replicas } } },
        });
        await waitVisible(ctx.clusters, patched);
        return stripManagedFields(patched);
      } catch (err) {
        throw toHttpError(err, {
          kind: 'TenantCluster',
          namespace: ns,
          name,
          verb: 'patch',
          resource: 'tenantclusters',
        });
      }
    },
  );
}
