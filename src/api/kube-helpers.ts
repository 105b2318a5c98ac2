// Small helpers shared by the API routes: resource paths (src/kube/butler.ts), labels and annotations, conflict retries, capped lists.
import type { FastifyRequest } from 'fastify';
import type { KubeClient, KubeQuery } from '../kube/client.js';
import { BUTLER_GROUP } from '../kube/butler.js';
import { isKubeStatus } from '../kube/errors.js';

export { BUTLER_API_VERSION, BUTLER_GROUP, paths } from '../kube/butler.js';

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_CLUSTER = `${BUTLER_GROUP}/cluster`;
export const LABEL_ADDON_DEFINITION = `${BUTLER_GROUP}/addon-definition`;
export const LABEL_PROVIDER = `${BUTLER_GROUP}/provider`;
export const ANNOTATION_CREATED_BY = `${BUTLER_GROUP}/created-by`;

export const STRICT: KubeQuery = { fieldValidation: 'Strict' };

export function username(request: FastifyRequest): string {
  return request.session?.username ?? 'unknown';
}

export function createdBy(request: FastifyRequest): Record<string, string> {
  return { [ANNOTATION_CREATED_BY]: username(request) };
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
