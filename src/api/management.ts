// The management cluster overview, its nodes and pods (docs/api.md §3.2).
import type { App } from '../http/app-type.js';
import { listCached } from '../kube/cached-read.js';
import { Type, type Static } from '@sinclair/typebox';
import { isKubeStatus, toHttpError } from '../kube/errors.js';
import type { KubeObject } from '../kube/cache.js';
import type { ApiContext } from './context.js';
import { paths } from './kube-helpers.js';
import { NodesResponse } from './schemas.js';
import * as R from './validation/rules.js';
import { byName, nodeReadiness, toManagementPod, toNodeInfo, type KubeNode, type KubePod } from './views/nodes.js';

const ManagementSummarySchema = Type.Object(
  {
    name: Type.Literal('management'),
    kubernetesVersion: Type.String(),
    phase: Type.Union([Type.Literal('Ready'), Type.Literal('Degraded'), Type.Literal('NotReady')]),
    nodes: Type.Object({ total: Type.Integer(), ready: Type.Integer() }),
    tenantClusters: Type.Integer(),
    systemNamespaces: Type.Array(
      Type.Object({ namespace: Type.String(), running: Type.Integer(), total: Type.Integer() }),
    ),
    tenantNamespaces: Type.Array(
      Type.Object({
        name: Type.String(),
        namespace: Type.String(),
        tenantNamespace: Type.String(),
        phase: Type.String(),
      }),
    ),
  },
  { title: 'ManagementSummary' },
);

const ManagementPodSchema = Type.Object(
  {
    name: Type.String(),
    namespace: Type.String(),
    age: Type.String(),
    status: Type.String(),
    ready: Type.String(),
    restarts: Type.Integer(),
  },
  { title: 'ManagementPod' },
);

const NamespaceParams = Type.Object({ ns: R.NamespaceParam() });

async function listNodes(ctx: ApiContext): Promise<KubeNode[]> {
  try {
    return (await ctx.kube.list<KubeNode>(paths.nodes())).items;
  } catch (err) {
    throw toHttpError(err, { kind: 'Node', verb: 'list', resource: 'nodes' });
  }
}

async function listPods(ctx: ApiContext, ns: string): Promise<KubePod[]> {
  try {
    return (await ctx.kube.list<KubePod>(paths.pods(ns))).items;
  } catch (err) {
    if (isKubeStatus(err, 404)) return [];
    throw toHttpError(err, { kind: 'Pod', namespace: ns, verb: 'list', resource: 'pods' });
  }
}

async function listClusters(ctx: ApiContext): Promise<KubeObject[]> {
  return listCached(ctx.reads.clusters);
}

export function registerManagementRoutes(app: App, ctx: ApiContext): void {
  app.get(
    '/api/management',
    { schema: { summary: 'Management cluster overview', response: { 200: ManagementSummarySchema } } },
    async (request) => {
      const versionP = ctx.kube.request<{ gitVersion?: string }>({ method: 'GET', path: '/version' }).catch((err) => {
        throw toHttpError(err, { kind: 'Version', verb: 'get', resource: 'version' });
      });
      const nodesP = listNodes(ctx);
      const podsP = Promise.all(
        ctx.config.managementNamespaces.map(async (namespace) => {
          try {
            const pods = await listPods(ctx, namespace);
            return { namespace, running: pods.filter((p) => p.status?.phase === 'Running').length, total: pods.length };
          } catch (err) {
            if (isKubeStatus(err, 403) || (err as { status?: number }).status === 403) {
              request.log.error({ namespace }, 'not allowed to list pods in a management namespace; left out');
              return undefined;
            }
            throw err;
          }
        }),
      );
      const clustersP = listClusters(ctx);
      const [version, nodes, pods, clusters] = await Promise.all([versionP, nodesP, podsP, clustersP]);
      const ready = nodes.filter((n) => nodeReadiness(n) === 'Ready').length;
      return {
        name: 'management' as const,
        kubernetesVersion: version.gitVersion ?? '',
        phase:
          nodes.length > 0 && ready === nodes.length
            ? ('Ready' as const)
            : ready > 0
              ? ('Degraded' as const)
              : ('NotReady' as const),
        nodes: { total: nodes.length, ready },
        tenantClusters: clusters.length,
        systemNamespaces: pods.filter((p) => p !== undefined),
        tenantNamespaces: clusters.map((c) => {
          const status = (c.status ?? {}) as { tenantNamespace?: string; phase?: string };
          return {
            name: c.metadata.name ?? '',
            namespace: c.metadata.namespace ?? '',
            tenantNamespace: status.tenantNamespace ?? '',
            phase: status.phase ?? '',
          };
        }),
      };
    },
  );

  app.get(
    '/api/management/nodes',
    { schema: { summary: 'Management cluster nodes', response: { 200: NodesResponse } } },
    async () => {
      const now = Date.now();
      return { nodes: (await listNodes(ctx)).map((n) => toNodeInfo(n, now)).sort(byName) };
    },
  );

  const podsHandler = async (request: { params: Static<typeof NamespaceParams> }) => {
    const { ns } = request.params;
    const now = Date.now();
    return { pods: (await listPods(ctx, ns)).map((p) => toManagementPod(p, now)).sort(byName) };
  };
  const podsSchema = {
    params: NamespaceParams,
    response: { 200: Type.Object({ pods: Type.Array(ManagementPodSchema) }) },
  };
  app.get(
    '/api/management/namespaces/:ns/pods',
    { schema: { summary: 'Pods of a management namespace', ...podsSchema } },
    podsHandler,
  );
  app.get(
    '/api/management/pods/:ns',
    { schema: { summary: 'Pods of a management namespace (alias)', ...podsSchema } },
    podsHandler,
  );
}
