// Small helpers shared by the API routes: resource paths, labels and annotations, conflict retries, capped lists.
import type { FastifyRequest } from 'fastify';
import type { KubeClient, KubeQuery } from '../kube/client.js';
import { isKubeStatus } from '../kube/errors.js';

export const BUTLER_GROUP = 'butler.butlerlabs.dev';
export const BUTLER_API_VERSION = `${BUTLER_GROUP}/v1alpha1`;
const BUTLER_API = `/apis/${BUTLER_API_VERSION}`;

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_CLUSTER = `${BUTLER_GROUP}/cluster`;
export const LABEL_ADDON_DEFINITION = `${BUTLER_GROUP}/addon-definition`;
export const LABEL_PROVIDER = `${BUTLER_GROUP}/provider`;
export const ANNOTATION_CREATED_BY = `${BUTLER_GROUP}/created-by`;

export const STRICT: KubeQuery = { fieldValidation: 'Strict' };

export const paths = {
  tenantClusters: (ns?: string) =>
    ns ? `${BUTLER_API}/namespaces/${ns}/tenantclusters` : `${BUTLER_API}/tenantclusters`,
  tenantCluster: (ns: string, name: string) => `${BUTLER_API}/namespaces/${ns}/tenantclusters/${name}`,
  providerConfigs: (ns?: string) =>
    ns ? `${BUTLER_API}/namespaces/${ns}/providerconfigs` : `${BUTLER_API}/providerconfigs`,
  providerConfig: (ns: string, name: string) => `${BUTLER_API}/namespaces/${ns}/providerconfigs/${name}`,
  tenantAddons: (ns: string) => `${BUTLER_API}/namespaces/${ns}/tenantaddons`,
  tenantAddon: (ns: string, name: string) => `${BUTLER_API}/namespaces/${ns}/tenantaddons/${name}`,
  managementAddons: () => `${BUTLER_API}/managementaddons`,
  managementAddon: (name: string) => `${BUTLER_API}/managementaddons/${name}`,
  addonDefinitions: () => `${BUTLER_API}/addondefinitions`,
  addonDefinition: (name: string) => `${BUTLER_API}/addondefinitions/${name}`,
  secrets: (ns: string) => `/api/v1/namespaces/${ns}/secrets`,
  secret: (ns: string, name: string) => `/api/v1/namespaces/${ns}/secrets/${name}`,
  nodes: () => '/api/v1/nodes',
  pods: (ns: string) => `/api/v1/namespaces/${ns}/pods`,
  events: (ns: string) => `/api/v1/namespaces/${ns}/events`,
};

export function username(request: FastifyRequest): string {
  return request.session?.username ?? 'unknown';
}

export function createdBy(request: FastifyRequest): Record<string, string> {
  return { [ANNOTATION_CREATED_BY]: username(request) };
}

/** Removes metadata.managedFields (the console never reads it). Returns the same object. */
export function stripManaged<T>(o: T): T {
  const meta = (o as { metadata?: Record<string, unknown> } | undefined)?.metadata;
  if (meta && 'managedFields' in meta) delete meta.managedFields;
  return o;
}

/** Runs a read-modify-write; a 409 Conflict re-runs it, up to `attempts` times in all, then rethrows. */
export async function retryOnConflict<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !isKubeStatus(err, 409)) throw err;
    }
  }
}

/** LIST in pages of 500, stopping after `max` items (contract: at most 5000 Events scanned per source). */
export async function listCapped<T>(kube: KubeClient, path: string, query: KubeQuery, max: number): Promise<T[]> {
  const items: T[] = [];
  let cont: string | undefined;
  for (let page = 0; page < Math.ceil(max / 500) + 1; page++) {
    const res = await kube.request<{ items?: T[] | null; metadata?: { continue?: string } }>({
      method: 'GET',
      path,
      query: { ...query, limit: Math.min(500, max - items.length), continue: cont },
    });
    items.push(...(res.items ?? []));
    cont = res.metadata?.continue;
    if (!cont || items.length >= max) break;
  }
  return items.slice(0, max);
}

export function byNamespaceName(
  a: { metadata?: { namespace?: string; name?: string } },
  b: { metadata?: { namespace?: string; name?: string } },
): number {
  const an = `${a.metadata?.namespace ?? ''}\u0000${a.metadata?.name ?? ''}`;
  const bn = `${b.metadata?.namespace ?? ''}\u0000${b.metadata?.name ?? ''}`;
  return an < bn ? -1 : an > bn ? 1 : 0;
}
