// Objects the conformance suite creates: a per-run namespace and a per-run CRD in its own API group,
// so runs never collide and everything can be removed afterwards.
import { randomBytes } from 'node:crypto';
import type { KubeTarget } from './kube-http.js';

export const runId = randomBytes(3).toString('hex');
export const ns = `conf-${runId}`;
export const group = `c${runId}.conformance.butler.test`;
export const widgets = `/apis/${group}/v1/namespaces/${ns}/widgets`;
export const configmaps = `/api/v1/namespaces/${ns}/configmaps`;

export const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `widgets.${group}` },
  spec: {
    group,
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: {
                  size: { type: 'integer', minimum: 1, maximum: 10 },
                  color: { type: 'string', enum: ['red', 'green', 'blue'] },
                  label: { type: 'string', pattern: '^[a-z]+$', maxLength: 8 },
                  tags: { type: 'array', minItems: 1, items: { type: 'string' } },
                  mode: { type: 'string', default: 'auto' },
                },
              },
              status: {
                type: 'object',
                properties: { phase: { type: 'string' }, observed: { type: 'integer' } },
              },
            },
          },
        },
      },
    ],
  },
};

export function widget(name: string, spec: Record<string, unknown>, extra: object = {}) {
  return { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name, ...extra }, spec };
}

export function configMap(name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}

/** Polls `check` every 200 ms until it returns true, at most `timeoutMs`. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 20000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export async function setUpFixtures(kube: KubeTarget): Promise<void> {
  const nsRes = await kube.request('POST', '/api/v1/namespaces', {
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
  });
  if (nsRes.status !== 201) throw new Error(`create namespace: ${nsRes.status} ${nsRes.text}`);
  const crdRes = await kube.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
    body: widgetCrd,
  });
  if (crdRes.status !== 201) throw new Error(`create CRD: ${crdRes.status} ${crdRes.text}`);
  await eventually('the Widget resource to be served', async () => {
    return (await kube.request('GET', widgets)).status === 200;
  });
}

export async function tearDownFixtures(kube: KubeTarget): Promise<void> {
  await kube.request('DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.${group}`);
  await kube.request('DELETE', `/api/v1/namespaces/${ns}`);
}
