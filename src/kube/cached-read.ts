// The one read path for resources the server watches: answer from the watch cache once it has synced, else ask the
// API server (one LIST or GET). Either way the answer is the same: sorted by namespace, then name
// (compareByNamespaceName), metadata.managedFields stripped (stripManagedFields), errors mapped by toHttpError.
import type { ResourceCache } from './cache.js';
import { compareByNamespaceName, stripManagedFields, type KubeObjectLike } from './cache-store.js';
import type { KubeClient } from './client.js';
import { isKubeStatus, toHttpError } from './errors.js';

/** A watched resource type: its kind and plural for error messages, its paths for LIST and GET. */
export interface WatchedResource {
  kind: string;
  resource: string;
  collectionPath(namespace?: string): string;
  itemPath(namespace: string, name: string): string;
}

/** Where a watched resource is read from: its cache, and the client for the time before the cache has synced. */
export interface CachedSource<T> {
  type: WatchedResource;
  cache: ResourceCache<T>;
  kube: KubeClient;
}

/** Every object (in `namespace`, or all), from the cache when synced. A new array; the objects may be shared. */
export async function listCached<T extends KubeObjectLike>(src: CachedSource<T>, namespace?: string): Promise<T[]> {
  if (src.cache.synced) return src.cache.list(namespace);
  try {
    const list = await src.kube.list<T>(src.type.collectionPath(namespace));
    return list.items.map(stripManagedFields).sort(compareByNamespaceName);
  } catch (err) {
    throw toHttpError(err, { kind: src.type.kind, namespace, verb: 'list', resource: src.type.resource });
  }
}

/** listCached as JSON text; when synced, the cache's text (serialised once per change). */
export async function listCachedJson<T extends KubeObjectLike>(
  src: CachedSource<T>,
  namespace?: string,
): Promise<string> {
  if (src.cache.synced) return src.cache.listJson(namespace);
  return JSON.stringify(await listCached(src, namespace));
}

/** The object, or undefined when it does not exist; from the cache when synced. */
export async function getCached<T extends KubeObjectLike>(
  src: CachedSource<T>,
  namespace: string,
  name: string,
): Promise<T | undefined> {
  if (src.cache.synced) return src.cache.get(namespace, name);
  try {
    return stripManagedFields(await src.kube.request<T>({ method: 'GET', path: src.type.itemPath(namespace, name) }));
  } catch (err) {
    if (isKubeStatus(err, 404)) return undefined;
    throw toHttpError(err, { kind: src.type.kind, namespace, name, verb: 'get', resource: src.type.resource });
  }
}
