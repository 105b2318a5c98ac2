// The few writes the simulated Butler controller makes: status merge patches, finalizers, Events, Secrets, namespaces.
import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../src/kube/client.js';
import { KubeApiError } from '../src/kube/errors.js';

export const BUTLER_API = '/apis/butler.butlerlabs.dev/v1alpha1';
export const CONTROLLER_NAME = 'butler-controller';
export const FINALIZER = 'butler.butlerlabs.dev/finalizer';
const MERGE_PATCH = 'application/merge-patch+json';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  finalizers?: string[];
  deletionTimestamp?: string;
}

export interface ButlerObject {
  metadata: ObjectMeta;
  // The spec and status of the Butler kinds are read field by field; the CRD schemas define them.
  spec?: any;
  status?: any;
}

export function objectPath(resource: string, namespace: string | undefined, name: string): string {
  return namespace ? `${BUTLER_API}/namespaces/${namespace}/${resource}/${name}` : `${BUTLER_API}/${resource}/${name}`;
}

export function isStatus(err: unknown, code: number): boolean {
  return err instanceof KubeApiError && err.opts.statusCode === code;
}

export async function patchStatus(
  kube: KubeClient,
  resource: string,
  meta: ObjectMeta,
  status: Record<string, unknown>,
): Promise<void> {
  await kube.request({
    method: 'PATCH',
    path: `${objectPath(resource, meta.namespace, meta.name)}/status`,
    body: { status },
    contentType: MERGE_PATCH,
  });
}

/** Adds or removes the controller's finalizer, keeping every other one. NotFound is ignored. */
export async function setFinalizer(kube: KubeClient, resource: string, meta: ObjectMeta, present: boolean) {
  const others = (meta.finalizers ?? []).filter((f) => f !== FINALIZER);
  const finalizers = present ? [...others, FINALIZER] : others;
  try {
    await kube.request({
      method: 'PATCH',
      path: objectPath(resource, meta.namespace, meta.name),
      body: { metadata: { finalizers, resourceVersion: meta.resourceVersion } },
      contentType: MERGE_PATCH,
    });
  } catch (err) {
    if (!isStatus(err, 404) && !isStatus(err, 409)) throw err;
  }
}

export function condition(type: string, ok: boolean, reason: string, message: string, generation?: number) {
  return {
    type,
    status: ok ? 'True' : 'False',
    reason,
    message,
    lastTransitionTime: new Date().toISOString(),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
}

export async function recordEvent(
  kube: KubeClient,
  kind: string,
  meta: ObjectMeta,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): Promise<void> {
  const now = new Date().toISOString();
  const namespace = meta.namespace ?? 'default';
  await kube.request({
    method: 'POST',
    path: `/api/v1/namespaces/${namespace}/events`,
    body: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${meta.name}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject: {
        apiVersion: 'butler.butlerlabs.dev/v1alpha1',
        kind,
        name: meta.name,
        ...(meta.namespace ? { namespace: meta.namespace } : {}),
        ...(meta.uid ? { uid: meta.uid } : {}),
      },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: CONTROLLER_NAME },
      reportingComponent: CONTROLLER_NAME,
    },
  });
}

export async function ensureNamespace(kube: KubeClient, name: string, labels: Record<string, string>) {
  try {
    await kube.request({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } },
    });
  } catch (err) {
    if (!isStatus(err, 409)) throw err;
  }
}

export async function deleteNamespace(kube: KubeClient, name: string) {
  try {
    await kube.request({ method: 'DELETE', path: `/api/v1/namespaces/${name}` });
  } catch (err) {
    if (!isStatus(err, 404)) throw err;
  }
}

/** Creates the Secret, or replaces its data when it exists. */
export async function putSecret(
  kube: KubeClient,
  namespace: string,
  name: string,
  data: Record<string, string>,
  labels: Record<string, string>,
) {
  const body = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name, namespace, labels },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
  try {
    await kube.request({ method: 'POST', path: `/api/v1/namespaces/${namespace}/secrets`, body });
  } catch (err) {
    if (!isStatus(err, 409)) throw err;
    await kube.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${namespace}/secrets/${name}`,
      body: { data: body.data },
      contentType: MERGE_PATCH,
    });
  }
}
