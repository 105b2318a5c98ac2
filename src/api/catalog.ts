// The addon catalog (docs/api.md §3.3) and the AddonDefinition lookups shared by the addon routes.
import type { App } from '../http/app-type.js';
import { Type } from '@sinclair/typebox';
import { notFound } from '../http/errors.js';
import { isKubeStatus, toHttpError } from '../kube/errors.js';
import type { ApiContext } from './context.js';
import { paths } from './kube-helpers.js';
import * as R from './validation/rules.js';
import { buildCatalog, toDefinitionView, type AddonDefinitionObject } from './views/addons.js';

const Links = Type.Object({
  documentation: Type.Optional(Type.String()),
  source: Type.Optional(Type.String()),
  homepage: Type.Optional(Type.String()),
});

export const AddonDefinitionViewSchema = Type.Object(
  {
    name: Type.String(),
    displayName: Type.String(),
    description: Type.String(),
    category: Type.String(),
    icon: Type.Optional(Type.String()),
    chartRepository: Type.String(),
    chartName: Type.String(),
    defaultVersion: Type.String(),
    availableVersions: Type.Optional(Type.Array(Type.String())),
    defaultNamespace: Type.Optional(Type.String()),
    platform: Type.Boolean(),
    dependsOn: Type.Optional(Type.Array(Type.String())),
    source: Type.Union([Type.Literal('builtin'), Type.Literal('custom')]),
    links: Type.Optional(Links),
  },
  { title: 'AddonDefinitionView' },
);

const CatalogSchema = Type.Object(
  {
    addons: Type.Array(AddonDefinitionViewSchema),
    categories: Type.Array(
      Type.Object({ name: Type.String(), displayName: Type.String(), description: Type.String(), icon: Type.String() }),
    ),
  },
  { title: 'Catalog' },
);

export async function listDefinitions(ctx: ApiContext): Promise<AddonDefinitionObject[]> {
  try {
    return (await ctx.kube.list<AddonDefinitionObject>(paths.addonDefinitions())).items;
  } catch (err) {
    throw toHttpError(err, { kind: 'AddonDefinition', verb: 'list', resource: 'addondefinitions' });
  }
}

/** The definition, or undefined when it does not exist. */
export async function findDefinition(ctx: ApiContext, name: string): Promise<AddonDefinitionObject | undefined> {
  try {
    return await ctx.kube.request<AddonDefinitionObject>({ method: 'GET', path: paths.addonDefinition(name) });
  } catch (err) {
    if (isKubeStatus(err, 404)) return undefined;
    throw toHttpError(err, { kind: 'AddonDefinition', name, verb: 'get', resource: 'addondefinitions' });
  }
}

export function displayNames(defs: AddonDefinitionObject[]): Map<string, string> {
  return new Map(defs.map((d) => [d.metadata.name, d.spec?.displayName || d.metadata.name]));
}

/** Checks an addon version against the definition (§4); returns the version to use. */
export function offeredVersion(
  def: AddonDefinitionObject,
  requested: string | undefined,
): { version?: string; error?: string } {
  const chart = def.spec?.chart ?? {};
  const offered = [...(chart.availableVersions ?? [])];
  if (chart.defaultVersion && !offered.includes(chart.defaultVersion)) offered.push(chart.defaultVersion);
  const version = requested ?? chart.defaultVersion;
  if (!version) return { error: 'version: is required' };
  if (requested !== undefined && offered.length > 0 && !offered.includes(requested))
    return {
      error: `version: ${requested} is not offered by addon ${def.metadata.name} (available: ${offered.join(', ')})`,
    };
  return { version };
}

const NameParams = Type.Object({ name: R.NameParam() });

export function registerCatalogRoutes(app: App, ctx: ApiContext): void {
  app.get(
    '/api/addons/catalog',
    { schema: { summary: 'The addon catalog', response: { 200: CatalogSchema } } },
    async () => buildCatalog(await listDefinitions(ctx)),
  );
  app.get(
    '/api/addons/catalog/:name',
    { schema: { summary: 'One addon definition', params: NameParams, response: { 200: AddonDefinitionViewSchema } } },
    async (request) => {
      const { name } = request.params;
      const def = await findDefinition(ctx, name);
      if (!def) throw notFound(`AddonDefinition "${name}" not found`);
      return toDefinitionView(def);
    },
  );
}
