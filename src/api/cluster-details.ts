// Per-cluster views through the tenant's own API or the management cluster: kubeconfig, nodes, events (docs/api.md §3.1).
import type { App } from '../http/app-type.js';
import { Type } from '@sinclair/typebox';
import { toHttpError } from '../kube/errors.js';
import { ClusterParams, getTenantCluster } from './clusters.js';
import type { ApiContext } from './context.js';
import { KubectlKubeconfigResponse, kubectlKubeconfig } from './kubectl-access.js';
import { listCapped, paths, username } from './kube-helpers.js';
import { NodesResponse } from './schemas.js';
import * as R from './validation/rules.js';
import { newestEvents, type KubeEvent } from './views/events.js';
import { byName, toNodeInfo, type KubeNode } from './views/nodes.js';

const MAX_EVENTS_PER_SOURCE = 5000;

const ClusterEventSchema = Type.Object(
  {
    type: Type.String(),
    reason: Type.String(),
    message: Type.String(),
    count: Type.Integer(),
    source: Type.String(),
    lastTimestamp: Type.String(),
    firstTimestamp: Type.String(),
    involvedObject: Type.Object({ kind: Type.String(), name: Type.String(), namespace: Type.Optional(Type.String()) }),
  },
  { title: 'ClusterEvent' },
);

const KubeconfigQuery = Type.Object({
  via: Type.Optional(Type.Literal('butler', { errorMessage: 'must be "butler" when given' })),
});

const EventsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100, errorMessage: R.MESSAGES.limit })),
});

export function registerClusterDetailRoutes(app: App, ctx: ApiContext): void {
  app.get(
    '/api/clusters/:ns/:name/kubeconfig',
    {
      schema: {
        summary:
          "Download a tenant cluster's admin kubeconfig, or with ?via=butler one for kubectl through butler-server's proxy",
        params: ClusterParams,
        querystring: KubeconfigQuery,
        response: {
          200: Type.Union([Type.Object({ kubeconfig: Type.String() }), KubectlKubeconfigResponse]),
        },
      },
    },
    async (request) => {
      const { ns, name } = request.params;
      if (request.query.via === 'butler') {
        await getTenantCluster(ctx, ns, name);
        return kubectlKubeconfig(request, ctx.config, { kind: 'tenant', namespace: ns, name });
      }
      const stored = await ctx.tenants.getStoredKubeconfig(ns, name);
      request.log.info(
        { audit: true, event: 'kubeconfig.download', user: username(request), cluster: `${ns}/${name}` },
        'audit kubeconfig.download',
      );
      return { kubeconfig: stored.kubeconfig };
    },
  );

  app.get(
    '/api/clusters/:ns/:name/nodes',
    { schema: { summary: "List a tenant cluster's nodes", params: ClusterParams, response: { 200: NodesResponse } } },
    async (request) => {
      const { ns, name } = request.params;
      const tenant = await ctx.tenants.getTenantKubeconfig(ns, name);
      try {
        const list = await tenant.client.list<KubeNode>(paths.nodes());
        const now = Date.now();
        return { nodes: list.items.map((n) => toNodeInfo(n, now)).sort(byName) };
      } catch (err) {
        throw toHttpError(err, { kind: 'Node', verb: 'list', resource: 'nodes', api: 'tenant' });
      }
    },
  );

  app.get(
    '/api/clusters/:ns/:name/events',
    {
      schema: {
        summary: 'Events of a tenant cluster',
        params: ClusterParams,
        querystring: EventsQuery,
        response: { 200: Type.Object({ events: Type.Array(ClusterEventSchema) }) },
      },
    },
    async (request) => {
      const { ns, name } = request.params;
      const limit = request.query.limit ?? 100;
      const cluster = await getTenantCluster(ctx, ns, name);
      const tenantNs = (cluster.status as { tenantNamespace?: string } | undefined)?.tenantNamespace;
      const sources: Promise<KubeEvent[]>[] = [
        listCapped<KubeEvent>(
          ctx.kube,
          paths.events(ns),
          { fieldSelector: `involvedObject.kind=TenantCluster,involvedObject.name=${name}` },
          MAX_EVENTS_PER_SOURCE,
        ),
      ];
      if (tenantNs) sources.push(listCapped<KubeEvent>(ctx.kube, paths.events(tenantNs), {}, MAX_EVENTS_PER_SOURCE));
      try {
        const lists = await Promise.all(sources);
        return { events: newestEvents(lists.flat(), limit) };
      } catch (err) {
        throw toHttpError(err, { kind: 'Event', namespace: ns, verb: 'list', resource: 'events' });
      }
    },
  );
}
