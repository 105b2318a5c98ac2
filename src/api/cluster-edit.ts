// Editing a TenantCluster with optimistic concurrency (PUT) and its clean YAML export (docs/api.md §3.1).
import { Type, type Static } from '@sinclair/typebox';
import type { App } from '../http/app-type.js';
import yaml from 'js-yaml';
import { badRequest, HttpError, invalidFields, type FieldError } from '../http/errors.js';
import { isKubeStatus, toHttpError } from '../kube/errors.js';
import type { KubeObject } from '../kube/cache.js';
import { stripManagedFields } from '../kube/cache-store.js';
import { ClusterParams, getTenantCluster, notifyCluster, TenantClusterSchema } from './clusters.js';
import { waitVisible, type ApiContext } from './context.js';
import { paths, STRICT } from './kube-helpers.js';
import * as R from './validation/rules.js';

const RESOURCE_VERSION_REQUIRED =
  'resourceVersion is required: send metadata.resourceVersion of the TenantCluster as you read it';

export const UpdateClusterBody = Type.Object(
  {
    // Optional here so that its absence gets the explanation below rather than "is required".
    resourceVersion: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,20}$',
        errorMessage: 'must be the metadata.resourceVersion of the TenantCluster as you read it (digits)',
      }),
    ),
    kubernetesVersion: Type.Optional(R.KubernetesVersion()),
    controlPlane: Type.Optional(
      Type.Object({
        replicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 3, errorMessage: 'must be 1 or 3' })),
      }),
    ),
    workers: Type.Optional(
      Type.Object({
        replicas: Type.Optional(R.Replicas()),
        machineTemplate: Type.Optional(
          Type.Object({
            cpu: Type.Optional(R.WorkerCpu()),
            memory: Type.Optional(R.Quantity()),
            diskSize: Type.Optional(R.Quantity()),
          }),
        ),
      }),
    ),
    acknowledgeDowngrade: Type.Optional(R.Bool()),
  },
  { title: 'UpdateClusterRequest' },
);
type UpdateClusterRequest = Static<typeof UpdateClusterBody>;

/** What PUT may change; anything else in the body is refused rather than silently ignored. */
const EDITABLE = {
  '': ['resourceVersion', 'kubernetesVersion', 'controlPlane', 'workers', 'acknowledgeDowngrade'],
  controlPlane: ['replicas'],
  workers: ['replicas', 'machineTemplate'],
  'workers.machineTemplate': ['cpu', 'memory', 'diskSize'],
} as const;

function unknownFields(body: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  const visit = (value: unknown, prefix: keyof typeof EDITABLE) => {
    if (typeof value !== 'object' || value === null) return;
    const allowed: readonly string[] = EDITABLE[prefix];
    for (const key of Object.keys(value)) {
      const field = prefix ? `${prefix}.${key}` : key;
      if (!allowed.includes(key)) errors.push({ field, message: 'cannot be changed with this endpoint' });
      else if (field in EDITABLE) visit((value as Record<string, unknown>)[key], field as keyof typeof EDITABLE);
    }
  };
  visit(body, '');
  return errors;
}

const versionParts = (v: string) => v.replace(/^v/, '').split('.').map(Number);

function isDowngrade(current: string, target: string): boolean {
  const a = versionParts(current);
  const b = versionParts(target);
  if (a.length !== 3 || a.some(Number.isNaN)) return false;
  for (let i = 0; i < 3; i++) if (b[i]! !== a[i]!) return b[i]! < a[i]!;
  return false;
}

interface ClusterSpec {
  kubernetesVersion?: string;
  controlPlane?: { replicas?: number } & Record<string, unknown>;
  workers?: { replicas?: number; machineTemplate?: Record<string, unknown> } & Record<string, unknown>;
}

/** Rules that depend on the current object: no Kubernetes downgrade, 3 → 1 control-plane replicas only acknowledged. */
function checkAgainstCurrent(spec: ClusterSpec, body: UpdateClusterRequest): FieldError[] {
  const errors: FieldError[] = [];
  const current = spec.kubernetesVersion;
  if (body.kubernetesVersion && current && isDowngrade(current, body.kubernetesVersion))
    errors.push({
      field: 'kubernetesVersion',
      message: `downgrade from ${current} to ${body.kubernetesVersion} is not permitted`,
    });
  const cp = body.controlPlane?.replicas;
  if (cp === 2) errors.push({ field: 'controlPlane.replicas', message: 'must be 1 or 3' });
  if (cp === 1 && (spec.controlPlane?.replicas ?? 1) === 3 && body.acknowledgeDowngrade !== true)
    errors.push({
      field: 'controlPlane.replicas',
      message: 'reducing from 3 to 1 removes high availability; send acknowledgeDowngrade: true',
    });
  return errors;
}

/** The object with the edits applied (a copy; only the fields given change). */
function applyEdits(cluster: KubeObject, body: UpdateClusterRequest & { resourceVersion: string }): KubeObject {
  const next = structuredClone(cluster) as KubeObject & { spec: ClusterSpec };
  next.spec ??= {};
  const spec = next.spec;
  if (body.kubernetesVersion) spec.kubernetesVersion = body.kubernetesVersion;
  if (body.controlPlane?.replicas !== undefined)
    spec.controlPlane = { ...spec.controlPlane, replicas: body.controlPlane.replicas };
  if (body.workers?.replicas !== undefined) spec.workers = { ...spec.workers, replicas: body.workers.replicas };
  if (body.workers?.machineTemplate)
    spec.workers = {
      ...spec.workers,
      machineTemplate: { ...spec.workers?.machineTemplate, ...body.workers.machineTemplate },
    };
  next.metadata = { ...next.metadata, resourceVersion: body.resourceVersion };
  return next;
}

const hasEdits = (b: UpdateClusterRequest) =>
  b.kubernetesVersion !== undefined ||
  b.controlPlane?.replicas !== undefined ||
  b.workers?.replicas !== undefined ||
  Object.keys(b.workers?.machineTemplate ?? {}).length > 0;

/** Server-set fields an export leaves out, so the YAML can be applied elsewhere or kept in Git. */
const SERVER_METADATA = [
  'managedFields',
  'resourceVersion',
  'uid',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
  'ownerReferences',
  'finalizers',
] as const;
const SERVER_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration'];

export function exportObject(cluster: KubeObject): Record<string, unknown> {
  const { status: _status, ...rest } = structuredClone(cluster) as KubeObject & Record<string, unknown>;
  const metadata = { ...(rest.metadata as Record<string, unknown>) };
  for (const key of SERVER_METADATA) delete metadata[key];
  const annotations = { ...(metadata.annotations as Record<string, string> | undefined) };
  for (const key of SERVER_ANNOTATIONS) delete annotations[key];
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;
  return { apiVersion: rest.apiVersion, kind: rest.kind, ...rest, metadata };
}

export function registerClusterEditRoutes(app: App, ctx: ApiContext): void {
  app.put(
    '/api/clusters/:ns/:name',
    {
      schema: {
        summary: "Edit a tenant cluster's workers and control plane (optimistic concurrency by resourceVersion)",
        params: ClusterParams,
        body: UpdateClusterBody,
        response: { 200: TenantClusterSchema },
      },
    },
    async (request) => {
      const { ns, name } = request.params;
      const body = request.body;
      const unknown = unknownFields(request.body);
      if (unknown.length) throw invalidFields(unknown);
      if (body.resourceVersion === undefined) throw badRequest(RESOURCE_VERSION_REQUIRED, { field: 'resourceVersion' });
      let current: KubeObject;
      try {
        current = await ctx.kube.request<KubeObject>({ method: 'GET', path: paths.tenantCluster(ns, name) });
      } catch (err) {
        throw toHttpError(err, { kind: 'TenantCluster', namespace: ns, name, verb: 'get', resource: 'tenantclusters' });
      }
      const rules = checkAgainstCurrent((current.spec ?? {}) as ClusterSpec, body);
      if (rules.length) throw invalidFields(rules);
      if (!hasEdits(body)) throw badRequest('nothing to change: give kubernetesVersion, controlPlane or workers');
      let updated: KubeObject;
      try {
        updated = await ctx.kubeFor(request).request<KubeObject>({
          method: 'PUT',
          path: paths.tenantCluster(ns, name),
          query: STRICT,
          body: applyEdits(current, { ...body, resourceVersion: body.resourceVersion }),
        });
      } catch (err) {
        if (isKubeStatus(err, 409))
          throw new HttpError(
            409,
            `TenantCluster "${ns}/${name}" was changed since resourceVersion ${body.resourceVersion}; reload it and edit again`,
            { reason: 'Conflict' },
          );
        throw toHttpError(err, {
          kind: 'TenantCluster',
          namespace: ns,
          name,
          verb: 'update',
          resource: 'tenantclusters',
        });
      }
      await waitVisible(ctx.clusters, updated);
      notifyCluster(ctx, request, updated, 'updated', 'info');
      return stripManagedFields(updated);
    },
  );

  app.get(
    '/api/clusters/:ns/:name/export',
    {
      schema: {
        summary: 'Export a tenant cluster as YAML without server-managed fields',
        params: ClusterParams,
        produces: 'application/yaml',
        response: { 200: Type.String({ description: 'YAML of the TenantCluster' }) },
      },
    },
    async (request, reply) => {
      const { ns, name } = request.params;
      const cluster = await getTenantCluster(ctx, ns, name);
      return reply
        .type('application/yaml; charset=utf-8')
        .header('content-disposition', `attachment; filename="${ns}-${name}.yaml"`)
        .send(yaml.dump(exportObject(cluster), { lineWidth: -1, noRefs: true }));
    },
  );
}
