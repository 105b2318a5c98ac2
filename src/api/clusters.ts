// /api/clusters: list (from the watch cache), create, get, delete, scale (docs/api.md §3.1).
import type { App } from '../http/app-type.js';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../http/errors.js';
import { principalOf } from '../identity/auth-routes.js';
import { clusterTeam, filterAllows } from '../identity/cluster-teams.js';
import { ANNOTATION_CREATOR_EMAIL, LABEL_TEAM } from '../identity/paths.js';
import { checkClusterCreate, clusterFilterFor } from '../identity/policy.js';
import { teamNamespace } from '../identity/views.js';
import { isKubeStatus, toHttpError } from '../kube/errors.js';
import type { KubeObject } from '../kube/cache.js';
import { getCached, listCached } from '../kube/cached-read.js';
import { buildTenantCluster, type ResolvedProvider } from './cluster-spec.js';
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
    teamRef: Type.Optional(R.DnsLabel()),
  },
  { title: 'CreateClusterRequest' },
);

const ScaleBody = Type.Object({
  replicas: R.Replicas({ fullMessage: 'replicas must be an integer between 1 and 100' }),
});

const ListQuery = Type.Object({ namespace: Type.Optional(R.DnsLabel()), team: Type.Optional(R.DnsLabel()) });

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

export function registerClusterRoutes(app: App, ctx: ApiContext): void {
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
      const { namespace, team } = request.query;
      const filter = clusterFilterFor(principalOf(request), team);
      if (ctx.clusters.synced)
        return listSender.send(request, reply, ctx.clusterViews.listJson(filter, namespace), wrapClusters);
      const clusters = (await listCached(ctx.reads.clusters, namespace)).filter((c) =>
        filterAllows(filter, clusterTeam(c)),
      );
      return listSender.send(request, reply, JSON.stringify(clusters), wrapClusters);
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
      const { teamRef, ...body } = request.body;
      const principal = principalOf(request);
      const team = checkClusterCreate(principal, teamRef);
      const teamObject = team ? ctx.identity.teams.get(team) : undefined;
      if (team && !teamObject) throw badRequest(`teamRef: no Team "${team}"`, { field: 'teamRef' });
      const namespace = body.namespace ?? (teamObject ? teamNamespace(teamObject) : ctx.config.tenantNamespace);
      const provider = await resolveProvider(ctx, body.providerConfigRef, namespace);
      const object = buildTenantCluster(body, namespace, provider, {
        ...createdBy(request),
        [ANNOTATION_CREATOR_EMAIL]: principal.identity.email,
      }) as ReturnType<typeof buildTenantCluster> & { metadata: { labels?: Record<string, string> } };
      if (team) {
        object.spec.teamRef = { name: team };
        object.metadata.labels = { ...object.metadata.labels, [LABEL_TEAM]: team };
      }
      let created: KubeObject;
      try {
        created = await ctx.kubeFor(request).request<KubeObject>({
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
      notifyCluster(ctx, request, created, 'created', 'success');
      return reply.code(201).send(stripManagedFields(created));
    },
  );

  app.get(
    '/api/clusters/:ns/:name',
    { schema: { summary: 'Get a tenant cluster', params: ClusterParams, response: { 200: TenantClusterSchema } } },
    async (request) => {
      const { ns, name } = request.params;
      return getTenantCluster(ctx, ns, name);
    },
  );

  app.delete(
    '/api/clusters/:ns/:name',
    { schema: { summary: 'Delete a tenant cluster', params: ClusterParams, response: { 200: MessageResponse } } },
    async (request) => {
      const { ns, name } = request.params;
      try {
        const res = await ctx.kubeFor(request).request<KubeObject>({
          method: 'DELETE',
          path: paths.tenantCluster(ns, name),
          query: { propagationPolicy: 'Background' },
        });
        await waitVisible(ctx.clusters, res);
        notifyCluster(ctx, request, res, 'deletion initiated', 'warning');
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
      const { ns, name } = request.params;
      const { replicas } = request.body;
      try {
        const patched = await ctx.kubeFor(request).request<KubeObject>({
          method: 'PATCH',
          path: paths.tenantCluster(ns, name),
          query: STRICT,
          contentType: 'application/merge-patch+json',
          body: { spec: { workers: { replicas } } },
        });
        await waitVisible(ctx.clusters, patched);
        notifyCluster(ctx, request, patched, 'scaled', 'info');
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

/** A `notification` for a user's successful cluster change, to the cluster's team and platform admins. */
export function notifyCluster(
  ctx: ApiContext,
  request: FastifyRequest,
  cluster: KubeObject,
  what: string,
  severity: 'success' | 'warning' | 'info',
): void {
  const name = cluster.metadata?.name ?? '';
  const team = clusterTeam(cluster);
  const who = request.principal?.identity.email ?? 'someone';
  ctx.identity.notifications.publish({
    title: `Cluster ${name} ${what}`,
    message: `Cluster ${cluster.metadata?.namespace ?? ''}/${name} ${what} by ${who}`,
    severity,
    category: 'cluster',
    resourceRef: {
      kind: 'TenantCluster',
      name,
      namespace: cluster.metadata?.namespace ?? '',
      ...(team ? { team } : {}),
    },
  });
}
