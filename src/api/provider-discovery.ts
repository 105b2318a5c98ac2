// Provider discovery for the create form (docs/api.md §5.1): GET /api/providers/{ns}/{name}/images, …/networks,
// …/clusters and …/storage-containers, asked live from the provider with its stored credentials.
import { Type, type TSchema } from '@sinclair/typebox';
import type { App } from '../http/app-type.js';
import { badRequest, HttpError } from '../http/errors.js';
import { DiscoveryFailure, type DiscoveryKind } from '../providers/discovery.js';
import type { ApiContext } from './context.js';
import { username } from './kube-helpers.js';
import { getProvider, storedConnection } from './providers.js';
import * as R from './validation/rules.js';

const Params = Type.Object({ ns: R.NamespaceParam(), name: R.NameParam() });

const Item = (title: string, extra: Record<string, TSchema> = {}) =>
  Type.Object({ name: Type.String(), id: Type.String(), ...extra }, { title });

const ENDPOINTS: { kind: DiscoveryKind; key: string; summary: string; item: TSchema }[] = [
  {
    kind: 'images',
    key: 'images',
    summary: 'Images a provider offers (Harvester images, Nutanix images, Proxmox templates)',
    item: Item('ProviderImage', {
      description: Type.Optional(Type.String()),
      os: Type.Optional(Type.String()),
      nodes: Type.Optional(Type.Array(Type.String())),
    }),
  },
  {
    kind: 'networks',
    key: 'networks',
    summary: 'Networks a provider offers (Harvester networks, Nutanix subnets, Proxmox bridges)',
    item: Item('ProviderNetwork', {
      vlan: Type.Optional(Type.Integer()),
      description: Type.Optional(Type.String()),
      nodes: Type.Optional(Type.Array(Type.String())),
    }),
  },
  {
    kind: 'clusters',
    key: 'clusters',
    summary: 'Nutanix Prism Element clusters',
    item: Item('ProviderCluster'),
  },
  {
    kind: 'storage-containers',
    key: 'storageContainers',
    summary: 'Storage a provider offers (Nutanix storage containers, Proxmox storages)',
    item: Item('ProviderStorage', {
      description: Type.Optional(Type.String()),
      nodes: Type.Optional(Type.Array(Type.String())),
    }),
  },
];

export function registerProviderDiscoveryRoutes(app: App, ctx: ApiContext): void {
  for (const endpoint of ENDPOINTS) {
    app.get(
      `/api/providers/:ns/:name/${endpoint.kind}`,
      {
        schema: {
          summary: endpoint.summary,
          params: Params,
          response: { 200: Type.Object({ [endpoint.key]: Type.Array(endpoint.item) }) },
        },
      },
      async (request) => {
        const { ns, name } = request.params;
        const pc = await getProvider(ctx, ns, name);
        const release = ctx.checks.reserve(username(request));
        try {
          const conn = await storedConnection(ctx, pc);
          if ('valid' in conn)
            throw badRequest(`provider "${ns}/${name}" cannot be queried: ${conn.message}`, { reason: conn.reason });
          const nodes = (pc.spec as { proxmox?: { nodes?: unknown } } | undefined)?.proxmox?.nodes;
          const proxmoxNodes = Array.isArray(nodes) ? nodes.filter((n): n is string => typeof n === 'string') : [];
          const items = await ctx.checks.discover(conn, endpoint.kind, { proxmoxNodes }, request.log);
          return { [endpoint.key]: items };
        } catch (err) {
          if (!(err instanceof DiscoveryFailure)) throw err;
          if (err.reason === 'Unsupported') throw badRequest(err.message, { reason: err.reason });
          throw new HttpError(502, `could not list ${endpoint.kind} of provider "${ns}/${name}": ${err.message}`, {
            reason: err.reason,
          });
        } finally {
          release();
        }
      },
    );
  }
}
