// /api/admin/config: the platform configuration, the cluster-scoped singleton ButlerConfig "butler" (docs/api.md §3.7).
// The answer is a flat view of its spec and status; an update replaces each section it names and keeps the others.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { App } from '../http/app-type.js';
import { notFound } from '../http/errors.js';
import { isKubeStatus, toHttpError } from '../kube/errors.js';
import type { ApiContext } from './context.js';
import { paths, STRICT } from './kube-helpers.js';

/** Butler reads exactly one ButlerConfig, by this name. */
export const BUTLER_CONFIG_NAME = 'butler';

const opt = <T extends TSchema>(t: T) => Type.Optional(t);
const Str = (maxLength = 1024) => Type.String({ maxLength });
const Quantities = Type.Object({ cpu: opt(Str(32)), memory: opt(Str(32)) }, { additionalProperties: false });
const Component = Type.Object({ requests: opt(Quantities), limits: opt(Quantities) }, { additionalProperties: false });

const sections = {
  multiTenancy: Type.Object({ mode: Str(32) }, { additionalProperties: false }),
  defaultNamespace: Str(63),
  // An empty name clears the reference.
  defaultProviderRef: Type.Object({ name: opt(Str(253)) }, { additionalProperties: false }),
  controlPlaneExposure: Type.Object(
    {
      mode: opt(Str(32)),
      hostname: opt(Str(253)),
      ingressClassName: opt(Str(253)),
      controllerType: opt(Str(32)),
      gatewayRef: opt(Str(253)),
    },
    { additionalProperties: false },
  ),
  defaultAddonVersions: Type.Object(
    Object.fromEntries(
      ['cilium', 'metallb', 'certManager', 'longhorn', 'traefik', 'fluxcd'].map((k) => [k, opt(Str(64))]),
    ),
    { additionalProperties: false },
  ),
  defaultTeamLimits: Type.Object(
    {
      maxClusters: opt(Type.Integer()),
      maxWorkersPerCluster: opt(Type.Integer()),
      maxTotalCPU: opt(Str(32)),
      maxTotalMemory: opt(Str(32)),
      maxTotalStorage: opt(Str(32)),
    },
    { additionalProperties: false },
  ),
  defaultControlPlaneResources: Type.Object(
    { apiServer: opt(Component), controllerManager: opt(Component), scheduler: opt(Component) },
    { additionalProperties: false },
  ),
  imageFactory: Type.Object(
    {
      url: opt(Str(2048)),
      credentialsRef: opt(Str(253)),
      defaultSchematicID: opt(Str(128)),
      autoSync: opt(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  audit: Type.Object(
    { enabled: opt(Type.Boolean()), webhookURL: opt(Str(2048)), bufferSize: opt(Type.Integer()) },
    { additionalProperties: false },
  ),
  sshAuthorizedKey: Str(16 * 1024),
};

const optionalSections = Object.fromEntries(Object.entries(sections).map(([k, v]) => [k, opt(v)])) as {
  [K in keyof typeof sections]: ReturnType<typeof opt<(typeof sections)[K]>>;
};

export const PlatformConfigSchema = Type.Object(
  {
    name: Type.String(),
    resourceVersion: Type.String(),
    ...optionalSections,
    multiTenancy: sections.multiTenancy,
    defaultNamespace: Type.String(),
    status: Type.Object({
      teamCount: Type.Integer(),
      clusterCount: Type.Integer(),
      controlPlaneExposureMode: opt(Type.String()),
      tcpProxyRequired: Type.Boolean(),
    }),
  },
  { title: 'PlatformConfig' },
);

export const UpdatePlatformConfigBody = Type.Object(
  {
    ...optionalSections,
    resourceVersion: opt(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false, title: 'UpdatePlatformConfigRequest' },
);
type UpdateRequest = Static<typeof UpdatePlatformConfigBody>;

type Json = Record<string, unknown>;
interface ButlerConfigObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; resourceVersion?: string; [k: string]: unknown };
  spec?: Json;
  status?: Json;
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Drops empty strings, undefined and empty objects (an empty value clears a field, as the console sends them). */
function compact(value: unknown): unknown {
  if (!isObj(value)) return value === '' ? undefined : value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    const c = compact(v);
    if (c !== undefined) out[k] = c;
  }
  return Object.keys(out).length ? out : undefined;
}

const subject = { kind: 'ButlerConfig', name: BUTLER_CONFIG_NAME, resource: 'butlerconfigs' };

/**
 * A stored section as the view's schema has it: unknown fields dropped, int-or-string quantities in the schema's type.
 * A section that still does not conform (say, a value longer than the API allows) is left out of the view.
 */
function conforming<T extends TSchema>(schema: T, value: unknown): Static<T> | undefined {
  if (value === undefined) return undefined;
  const converted = Value.Convert(schema, Value.Clean(schema, Value.Clone(value)));
  return Value.Check(schema, converted) ? converted : undefined;
}

export function toPlatformConfig(bc: ButlerConfigObject): Static<typeof PlatformConfigSchema> {
  const spec = bc.spec ?? {};
  const status = bc.status ?? {};
  const section = (key: string) => (isObj(spec[key]) ? (spec[key] as Json) : undefined);
  const imageFactory = section('imageFactory');
  const credentialsRef = imageFactory && isObj(imageFactory.credentialsRef) ? imageFactory.credentialsRef : undefined;
  const provider = section('defaultProviderConfigRef');
  return {
    name: bc.metadata.name,
    resourceVersion: bc.metadata.resourceVersion ?? '',
    multiTenancy: { mode: String(section('multiTenancy')?.mode ?? 'Disabled') },
    defaultNamespace: typeof spec.defaultNamespace === 'string' ? spec.defaultNamespace : '',
    defaultProviderRef: provider && typeof provider.name === 'string' ? { name: provider.name } : undefined,
    controlPlaneExposure: conforming(sections.controlPlaneExposure, section('controlPlaneExposure')),
    defaultAddonVersions: conforming(sections.defaultAddonVersions, section('defaultAddonVersions')),
    defaultTeamLimits: conforming(sections.defaultTeamLimits, section('defaultTeamLimits')),
    defaultControlPlaneResources: conforming(
      sections.defaultControlPlaneResources,
      section('defaultControlPlaneResources'),
    ),
    imageFactory: conforming(
      sections.imageFactory,
      imageFactory && {
        ...imageFactory,
        credentialsRef: typeof credentialsRef?.name === 'string' ? credentialsRef.name : undefined,
      },
    ),
    audit: conforming(sections.audit, section('audit')),
    sshAuthorizedKey: typeof spec.sshAuthorizedKey === 'string' ? spec.sshAuthorizedKey : undefined,
    status: {
      teamCount: Number(status.teamCount ?? 0),
      clusterCount: Number(status.clusterCount ?? 0),
      controlPlaneExposureMode:
        typeof status.controlPlaneExposureMode === 'string' ? status.controlPlaneExposureMode : undefined,
      tcpProxyRequired: status.tcpProxyRequired === true,
    },
  };
}

/** The spec after an update: each named section replaced (an empty one removed), the others as they were. */
export function applyUpdate(spec: Json, body: UpdateRequest): Json {
  const next: Json = { ...spec };
  const set = (key: string, value: unknown) => {
    const c = compact(value);
    if (c === undefined) delete next[key];
    else next[key] = c;
  };
  if (body.multiTenancy) set('multiTenancy', body.multiTenancy);
  if (body.defaultNamespace !== undefined) set('defaultNamespace', body.defaultNamespace);
  if (body.defaultProviderRef) set('defaultProviderConfigRef', body.defaultProviderRef);
  if (body.controlPlaneExposure) set('controlPlaneExposure', body.controlPlaneExposure);
  if (body.defaultAddonVersions) set('defaultAddonVersions', body.defaultAddonVersions);
  if (body.defaultTeamLimits) set('defaultTeamLimits', body.defaultTeamLimits);
  if (body.defaultControlPlaneResources) set('defaultControlPlaneResources', body.defaultControlPlaneResources);
  if (body.imageFactory) {
    const { credentialsRef, ...rest } = body.imageFactory;
    set('imageFactory', { ...rest, credentialsRef: credentialsRef ? { name: credentialsRef } : undefined });
  }
  if (body.audit) set('audit', body.audit);
  if (body.sshAuthorizedKey !== undefined) set('sshAuthorizedKey', body.sshAuthorizedKey);
  return next;
}

export function registerPlatformConfigRoutes(app: App, ctx: ApiContext): void {
  const get = async () => {
    try {
      return await ctx.kube.request<ButlerConfigObject>({
        method: 'GET',
        path: paths.butlerConfig(BUTLER_CONFIG_NAME),
      });
    } catch (err) {
      if (isKubeStatus(err, 404)) throw notFound(`ButlerConfig "${BUTLER_CONFIG_NAME}" not found`);
      throw toHttpError(err, { ...subject, verb: 'get' });
    }
  };

  app.get(
    '/api/admin/config',
    {
      schema: {
        summary: 'The platform configuration (ButlerConfig "butler")',
        response: { 200: PlatformConfigSchema },
      },
    },
    async () => toPlatformConfig(await get()),
  );

  app.put(
    '/api/admin/config',
    {
      schema: {
        summary: 'Update sections of the platform configuration',
        body: UpdatePlatformConfigBody,
        response: { 200: PlatformConfigSchema },
      },
    },
    async (request) => {
      const body = request.body;
      const current = await get();
      const { resourceVersion, ...update } = body;
      let written: ButlerConfigObject;
      try {
        written = await ctx.kubeFor(request).request<ButlerConfigObject>({
          method: 'PUT',
          path: paths.butlerConfig(BUTLER_CONFIG_NAME),
          query: STRICT,
          body: {
            apiVersion: current.apiVersion,
            kind: current.kind,
            metadata: { ...current.metadata, resourceVersion: resourceVersion ?? current.metadata.resourceVersion },
            spec: applyUpdate(current.spec ?? {}, update),
          },
        });
      } catch (err) {
        if (isKubeStatus(err, 404)) throw notFound(`ButlerConfig "${BUTLER_CONFIG_NAME}" not found`);
        throw toHttpError(err, { ...subject, verb: 'update' });
      }
      return toPlatformConfig({ ...written, status: written.status ?? current.status });
    },
  );
}
