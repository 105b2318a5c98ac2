// Management-cluster addons (docs/api.md §3.5): cluster-scoped ManagementAddons.
import type { App } from '../http/app-type.js';
import { Type } from '@sinclair/typebox';
import { badRequest, notFound } from '../http/errors.js';
import type { KubeClient } from '../kube/client.js';
import { isKubeStatus, toHttpError } from '../kube/errors.js';
import { displayNames, findDefinition, listDefinitions, offeredVersion } from './catalog.js';
import type { ApiContext } from './context.js';
import {
  BUTLER_API_VERSION,
  createdBy,
  LABEL_ADDON_DEFINITION,
  paths,
  retryOnConflict,
  STRICT,
} from './kube-helpers.js';
import { MessageResponse } from './schemas.js';
import * as R from './validation/rules.js';
import { toManagementAddonView, type ManagementAddonObject } from './views/addons.js';

const ViewSchema = Type.Object(
  {
    name: Type.String(),
    addon: Type.String(),
    displayName: Type.String(),
    version: Type.Optional(Type.String()),
    status: Type.Object({
      phase: Type.String(),
      installedVersion: Type.Optional(Type.String()),
      message: Type.Optional(Type.String()),
    }),
  },
  { title: 'ManagementAddonView' },
);

const NameParams = Type.Object({ name: R.NameParam() });

const CreateBody = Type.Object(
  {
    name: Type.Optional(R.DnsLabel()),
    addon: Type.Optional(R.DnsLabel()),
    version: Type.Optional(R.AddonVersion()),
    values: Type.Optional(R.HelmValues()),
  },
  { title: 'InstallManagementAddonRequest' },
);

const UpdateBody = Type.Object(
  {
    values: Type.Optional(Type.Union([R.HelmValues(), Type.Null()], { errorMessage: R.MESSAGES.values })),
    version: Type.Optional(R.AddonVersion()),
  },
  { title: 'UpdateManagementAddonRequest' },
);

const missing = (name: string) => notFound(`ManagementAddon "${name}" not found`);
const versionError = (message: string) =>
  badRequest(message, { field: 'version', errors: [{ field: 'version', message: message.replace(/^version: /, '') }] });

async function getAddon(kube: KubeClient, name: string): Promise<ManagementAddonObject> {
  try {
    return await kube.request<ManagementAddonObject>({ method: 'GET', path: paths.managementAddon(name) });
  } catch (err) {
    if (isKubeStatus(err, 404)) throw missing(name);
    throw toHttpError(err, { kind: 'ManagementAddon', name, verb: 'get', resource: 'managementaddons' });
  }
}

export function registerManagementAddonRoutes(app: App, ctx: ApiContext): void {
  app.get(
    '/api/management/addons',
    {
      schema: {
        summary: 'Management cluster addons',
        response: { 200: Type.Object({ addons: Type.Array(ViewSchema) }) },
      },
    },
    async () => {
      let items: ManagementAddonObject[];
      try {
        items = (await ctx.kube.list<ManagementAddonObject>(paths.managementAddons())).items;
      } catch (err) {
        throw toHttpError(err, { kind: 'ManagementAddon', verb: 'list', resource: 'managementaddons' });
      }
      const names = displayNames(await listDefinitions(ctx));
      const addons = items.map((m) => toManagementAddonView(m, names));
      return { addons: addons.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
    },
  );

  app.get(
    '/api/management/addons/:name',
    { schema: { summary: 'One management cluster addon', params: NameParams, response: { 200: ViewSchema } } },
    async (request) => {
      const { name } = request.params;
      const addon = await getAddon(ctx.kube, name);
      return toManagementAddonView(addon, displayNames(await listDefinitions(ctx)));
    },
  );

  app.post(
    '/api/management/addons',
    {
      schema: {
        summary: 'Install an addon on the management cluster',
        body: CreateBody,
        response: { 201: ViewSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (!body.addon) throw badRequest('addon is required', { field: 'addon' });
      const def = await findDefinition(ctx, body.addon);
      if (!def) throw badRequest(`addon definition "${body.addon}" not found`, { field: 'addon' });
      if (def.spec?.platform)
        throw badRequest('platform addons cannot be installed on the management cluster through this API');
      const offered = offeredVersion(def, body.version);
      if (offered.error) throw versionError(offered.error);
      const name = body.name ?? body.addon;
      try {
        const created = await ctx.kubeFor(request).request<ManagementAddonObject>({
          method: 'POST',
          path: paths.managementAddons(),
          query: STRICT,
          body: {
            apiVersion: BUTLER_API_VERSION,
            kind: 'ManagementAddon',
            metadata: { name, labels: { [LABEL_ADDON_DEFINITION]: body.addon }, annotations: createdBy(request) },
            spec: {
              addon: body.addon,
              version: offered.version,
              ...(body.values !== undefined ? { values: body.values } : {}),
            },
          },
        });
        const names = new Map([[body.addon, def.spec?.displayName || body.addon]]);
        return reply.code(201).send(toManagementAddonView(created, names));
      } catch (err) {
        throw toHttpError(err, { kind: 'ManagementAddon', name, verb: 'create', resource: 'managementaddons' });
      }
    },
  );

  app.put(
    '/api/management/addons/:name',
    {
      schema: {
        summary: 'Re-configure a management cluster addon',
        params: NameParams,
        body: UpdateBody,
        response: { 200: ViewSchema },
      },
    },
    async (request) => {
      const { name } = request.params;
      const body = request.body;
      if (body.values === undefined && body.version === undefined) throw badRequest('nothing to update');
      const first = await getAddon(ctx.kube, name);
      const addonName = first.spec?.addon || name;
      const def = await findDefinition(ctx, addonName);
      if (body.version !== undefined && def) {
        const offered = offeredVersion(def, body.version);
        if (offered.error) throw versionError(offered.error);
      }
      const kube = ctx.kubeFor(request);
      try {
        const updated = await retryOnConflict(async () => {
          const current = await getAddon(kube, name);
          const spec = { ...(current.spec ?? {}) } as Record<string, unknown>;
          if (body.values === null) delete spec.values;
          else if (body.values !== undefined) spec.values = body.values;
          if (body.version !== undefined) spec.version = body.version;
          return kube.request<ManagementAddonObject>({
            method: 'PUT',
            path: paths.managementAddon(name),
            query: STRICT,
            body: { ...current, spec },
          });
        });
        return toManagementAddonView(updated, new Map([[addonName, def?.spec?.displayName || addonName]]));
      } catch (err) {
        throw toHttpError(err, { kind: 'ManagementAddon', name, verb: 'update', resource: 'managementaddons' });
      }
    },
  );

  app.delete(
    '/api/management/addons/:name',
    {
      schema: {
        summary: 'Uninstall a management cluster addon',
        params: NameParams,
        response: { 200: MessageResponse },
      },
    },
    async (request) => {
      const { name } = request.params;
      try {
        await ctx.kubeFor(request).request({ method: 'DELETE', path: paths.managementAddon(name) });
      } catch (err) {
        if (isKubeStatus(err, 404)) throw missing(name);
        throw toHttpError(err, { kind: 'ManagementAddon', name, verb: 'delete', resource: 'managementaddons' });
      }
      return { message: 'addon uninstall initiated' };
    },
  );
}
