// Tenant-cluster addons (docs/api.md §3.4): the cluster's TenantAddons plus the platform's observed addons.
import type { App } from '../http/app-type.js';
import { Type } from '@sinclair/typebox';
import { badRequest, conflict, notFound } from '../http/errors.js';
import { isKubeStatus, toHttpError } from '../kube/errors.js';
import type { KubeObject } from '../kube/cache.js';
import { findDefinition, displayNames, listDefinitions, offeredVersion } from './catalog.js';
import { getTenantCluster } from './clusters.js';
import type { ApiContext } from './context.js';
import {
  BUTLER_API_VERSION,
  createdBy,
  LABEL_ADDON_DEFINITION,
  LABEL_CLUSTER,
  paths,
  retryOnConflict,
  STRICT,
} from './kube-helpers.js';
import { stripManagedFields } from '../kube/cache-store.js';
import { K8sObject, MessageResponse } from './schemas.js';
import * as R from './validation/rules.js';
import {
  fromObservedAddon,
  fromTenantAddon,
  tenantAddonDisplayName,
  type InstalledAddon,
  type ObservedAddon,
  type TenantAddonObject,
} from './views/addons.js';

const TenantAddonSchema = K8sObject('TenantAddon');

const HelmReleaseSchema = Type.Object({
  name: Type.Optional(Type.String()),
  namespace: Type.Optional(Type.String()),
  revision: Type.Optional(Type.Integer()),
  status: Type.Optional(Type.String()),
  version: Type.Optional(Type.String()),
});

const InstalledAddonSchema = Type.Object(
  {
    name: Type.String(),
    resourceName: Type.Optional(Type.String()),
    displayName: Type.String(),
    status: Type.String(),
    phase: Type.Optional(Type.String()),
    version: Type.Optional(Type.String()),
    installedVersion: Type.Optional(Type.String()),
    managedBy: Type.Union([Type.Literal('platform'), Type.Literal('butler')]),
    namespace: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
    helmRelease: Type.Optional(HelmReleaseSchema),
    conditions: Type.Optional(
      Type.Array(
        Type.Object({
          type: Type.String(),
          status: Type.String(),
          reason: Type.Optional(Type.String()),
          message: Type.Optional(Type.String()),
        }),
      ),
    ),
  },
  { title: 'InstalledAddon' },
);

const ClusterParams = Type.Object({ ns: R.NamespaceParam(), name: R.NameParam() });
const AddonParams = Type.Object({ ns: R.NamespaceParam(), name: R.NameParam(), addon: R.AddonParam() });

const InstallBody = Type.Object(
  {
    addon: Type.Optional(R.DnsLabel()),
    values: Type.Optional(R.HelmValues()),
    version: Type.Optional(R.AddonVersion()),
    helm: Type.Optional(
      Type.Object({
        repository: R.HelmRepository(),
        chart: R.HelmName(),
        version: Type.Optional(R.AddonVersion()),
        releaseName: Type.Optional(R.HelmName()),
        namespace: Type.Optional(R.DnsLabel()),
        createNamespace: Type.Optional(R.Bool()),
      }),
    ),
  },
  { title: 'InstallAddonRequest' },
);

const UpdateBody = Type.Object(
  {
    values: Type.Optional(Type.Union([R.HelmValues(), Type.Null()], { errorMessage: R.MESSAGES.values })),
    version: Type.Optional(R.AddonVersion()),
  },
  { title: 'UpdateAddonRequest' },
);

interface ClusterAddons {
  cluster: KubeObject;
  tenantAddons: TenantAddonObject[];
  observed: ObservedAddon[];
}

async function loadClusterAddons(ctx: ApiContext, ns: string, name: string): Promise<ClusterAddons> {
  const cluster = await getTenantCluster(ctx, ns, name);
  let items: TenantAddonObject[];
  try {
    items = (await ctx.kube.list<TenantAddonObject>(paths.tenantAddons(ns))).items;
  } catch (err) {
    throw toHttpError(err, { kind: 'TenantAddon', namespace: ns, verb: 'list', resource: 'tenantaddons' });
  }
  const status = cluster.status as { observedState?: { addons?: ObservedAddon[] } } | undefined;
  return {
    cluster,
    tenantAddons: items.filter((a) => a.spec?.clusterRef?.name === name),
    observed: status?.observedState?.addons ?? [],
  };
}

type Resolved = { kind: 'butler'; addon: TenantAddonObject } | { kind: 'platform'; addon: ObservedAddon };

function resolveAddon(ca: ClusterAddons, ns: string, name: string, addon: string): Resolved {
  const byResource = ca.tenantAddons.find((a) => a.metadata.name === addon);
  if (byResource) return { kind: 'butler', addon: byResource };
  const byDisplay = ca.tenantAddons.find((a) => tenantAddonDisplayName(a) === addon);
  if (byDisplay) return { kind: 'butler', addon: byDisplay };
  const platform = ca.observed.find((o) => o.name === addon);
  if (platform) return { kind: 'platform', addon: platform };
  throw notFound(`addon "${addon}" is not installed on cluster "${ns}/${name}"`);
}

function versionError(message: string) {
  return badRequest(message, {
    field: 'version',
    errors: [{ field: 'version', message: message.replace(/^version: /, '') }],
  });
}

export function registerAddonRoutes(app: App, ctx: ApiContext): void {
  app.get(
    '/api/clusters/:ns/:name/addons',
    {
      schema: {
        summary: "A tenant cluster's addons",
        params: ClusterParams,
        response: { 200: Type.Object({ addons: Type.Array(InstalledAddonSchema) }) },
      },
    },
    async (request) => {
      const { ns, name } = request.params;
      const [ca, defs] = await Promise.all([loadClusterAddons(ctx, ns, name), listDefinitions(ctx)]);
      const names = displayNames(defs);
      const butler = ca.tenantAddons
        .map((a) => fromTenantAddon(a, names))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const taken = new Set(butler.map((a) => a.name));
      const platform = ca.observed.filter((o) => !taken.has(o.name ?? '')).map((o) => fromObservedAddon(o, names));
      return { addons: [...platform, ...butler] };
    },
  );

  app.post(
    '/api/clusters/:ns/:name/addons',
    {
      schema: {
        summary: 'Install an addon on a tenant cluster',
        params: ClusterParams,
        body: InstallBody,
        response: { 201: TenantAddonSchema },
      },
    },
    async (request, reply) => {
      const { ns, name } = request.params;
      const body = request.body;
      if ((body.addon === undefined) === (body.helm === undefined))
        throw badRequest('exactly one of addon or helm is required');
      const ca = await loadClusterAddons(ctx, ns, name);
      let version: string;
      let displayName: string;
      const labels: Record<string, string> = { [LABEL_CLUSTER]: name };
      const spec: Record<string, unknown> = { clusterRef: { name } };
      if (body.addon !== undefined) {
        const def = await findDefinition(ctx, body.addon);
        if (!def) throw badRequest(`addon definition "${body.addon}" not found`, { field: 'addon' });
        if (def.spec?.platform)
          throw badRequest('platform addons are managed automatically and cannot be installed manually');
        const offered = offeredVersion(def, body.version);
        if (offered.error) throw versionError(offered.error);
        version = offered.version!;
        displayName = body.addon;
        labels[LABEL_ADDON_DEFINITION] = body.addon;
        spec.addon = body.addon;
      } else {
        const helm = body.helm!;
        const v = body.version ?? helm.version;
        if (!v) throw versionError('version: is required with helm');
        version = v;
        displayName = helm.releaseName ?? helm.chart;
        spec.helm = {
          repository: helm.repository,
          chart: helm.chart,
          ...(helm.releaseName ? { releaseName: helm.releaseName } : {}),
          ...(helm.namespace ? { namespace: helm.namespace } : {}),
          createNamespace: helm.createNamespace ?? true,
        };
      }
      spec.version = version;
      if (body.values !== undefined) spec.values = body.values;
      const alreadyInstalled = () =>
        conflict(
          `addon "${displayName}" is already installed on cluster "${ns}/${name}"; change its values with PUT /api/clusters/${ns}/${name}/addons/${displayName}`,
        );
      if (
        ca.tenantAddons.some((a) => tenantAddonDisplayName(a) === displayName) ||
        ca.observed.some((o) => o.name === displayName)
      )
        throw alreadyInstalled();
      const objectName = `${displayName}-${name}`;
      try {
        const created = await ctx.kubeFor(request).request<KubeObject>({
          method: 'POST',
          path: paths.tenantAddons(ns),
          query: STRICT,
          body: {
            apiVersion: BUTLER_API_VERSION,
            kind: 'TenantAddon',
            metadata: { name: objectName, namespace: ns, labels, annotations: createdBy(request) },
            spec,
          },
        });
        return reply.code(201).send(stripManagedFields(created));
      } catch (err) {
        if (isKubeStatus(err, 409)) throw alreadyInstalled();
        throw toHttpError(err, {
          kind: 'TenantAddon',
          namespace: ns,
          name: objectName,
          verb: 'create',
          resource: 'tenantaddons',
        });
      }
    },
  );

  app.get(
    '/api/clusters/:ns/:name/addons/:addon',
    {
      schema: {
        summary: 'One addon of a tenant cluster',
        params: AddonParams,
        response: { 200: InstalledAddonSchema },
      },
    },
    async (request): Promise<InstalledAddon> => {
      const { ns, name, addon } = request.params;
      const [ca, defs] = await Promise.all([loadClusterAddons(ctx, ns, name), listDefinitions(ctx)]);
      const resolved = resolveAddon(ca, ns, name, addon);
      const names = displayNames(defs);
      return resolved.kind === 'butler'
        ? fromTenantAddon(resolved.addon, names)
        : fromObservedAddon(resolved.addon, names);
    },
  );

  app.put(
    '/api/clusters/:ns/:name/addons/:addon',
    {
      schema: {
        summary: 'Re-configure an installed addon',
        params: AddonParams,
        body: UpdateBody,
        response: { 200: TenantAddonSchema },
      },
    },
    async (request) => {
      const { ns, name, addon } = request.params;
      const body = request.body;
      if (body.values === undefined && body.version === undefined) throw badRequest('nothing to update');
      const ca = await loadClusterAddons(ctx, ns, name);
      const resolved = resolveAddon(ca, ns, name, addon);
      if (resolved.kind === 'platform')
        throw badRequest('platform addons are managed by the platform and cannot be changed');
      const objectName = resolved.addon.metadata.name;
      if (body.version !== undefined && resolved.addon.spec?.addon) {
        const def = await findDefinition(ctx, resolved.addon.spec.addon);
        if (def) {
          const offered = offeredVersion(def, body.version);
          if (offered.error) throw versionError(offered.error);
        }
      }
      const kube = ctx.kubeFor(request);
      try {
        const updated = await retryOnConflict(async () => {
          const current = await kube.request<TenantAddonObject & KubeObject>({
            method: 'GET',
            path: paths.tenantAddon(ns, objectName),
          });
          const spec = { ...(current.spec ?? {}) } as Record<string, unknown>;
          if (body.values === null) delete spec.values;
          else if (body.values !== undefined) spec.values = body.values;
          if (body.version !== undefined) spec.version = body.version;
          return kube.request<KubeObject>({
            method: 'PUT',
            path: paths.tenantAddon(ns, objectName),
            query: STRICT,
            body: { ...current, spec },
          });
        });
        return stripManagedFields(updated);
      } catch (err) {
        throw toHttpError(err, {
          kind: 'TenantAddon',
          namespace: ns,
          name: objectName,
          verb: 'update',
          resource: 'tenantaddons',
        });
      }
    },
  );

  app.delete(
    '/api/clusters/:ns/:name/addons/:addon',
    { schema: { summary: 'Uninstall an addon', params: AddonParams, response: { 200: MessageResponse } } },
    async (request) => {
      const { ns, name, addon } = request.params;
      const ca = await loadClusterAddons(ctx, ns, name);
      const resolved = resolveAddon(ca, ns, name, addon);
      if (resolved.kind === 'platform') throw badRequest('platform addons cannot be uninstalled');
      if (resolved.addon.spec?.addon) {
        const def = await findDefinition(ctx, resolved.addon.spec.addon);
        if (def?.spec?.platform) throw badRequest('platform addons cannot be uninstalled');
      }
      const objectName = resolved.addon.metadata.name;
      try {
        await ctx.kubeFor(request).request({ method: 'DELETE', path: paths.tenantAddon(ns, objectName) });
      } catch (err) {
        throw toHttpError(err, {
          kind: 'TenantAddon',
          namespace: ns,
          name: objectName,
          verb: 'delete',
          resource: 'tenantaddons',
        });
      }
      return { message: 'addon uninstall initiated' };
    },
  );
}
