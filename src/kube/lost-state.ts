// Noticing an API server that lost its state (restored from an old backup, or a new etcd behind the same address).
//
// A watch cannot be relied on to fail then: kube-apiserver accepts a WATCH from a resourceVersion newer than its own
// and stays silent (HTTP 200, no events, no bookmarks) until its store passes that version, which may be never.
// So before resuming a watch, a watch cache asks for the server's current resourceVersion with a cheap LIST (limit=1,
// no resourceVersion: a quorum read) and re-lists when that is lower than the position it holds.
import type { KubeClient } from './client.js';
import { compareResourceVersions } from './cache-resource-version.js';

/** The server's current resourceVersion for a collection (one LIST of at most one item). */
export async function currentResourceVersion(kube: KubeClient, path: string, signal?: AbortSignal): Promise<string> {
  const list = await kube.request<{ metadata?: { resourceVersion?: string } }>({
    method: 'GET',
    path,
    query: { limit: 1 },
    signal,
  });
  return list.metadata?.resourceVersion ?? '';
}

/**
 * The server's current resourceVersion when it is behind `position` (the server lost its state), else undefined.
 * Non-numeric versions are never compared.
 */
export async function lostStateVersion(
  kube: KubeClient,
  path: string,
  position: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const current = await currentResourceVersion(kube, path, signal);
  return compareResourceVersions(current, position) === -1 ? current : undefined;
}
