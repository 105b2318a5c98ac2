// Server → client frames of /ws/clusters (docs/api.md §6.2). Each frame is serialised once and the same Buffer is
// written to every socket.
import type { KubeObjectLike } from '../kube/cache-store.js';

export type LiveMessageType = 'snapshot' | 'resync' | 'cluster_update' | 'cluster_delete' | 'notification' | 'pong';

export const PONG_FRAME = Buffer.from('{"type":"pong"}');

/** `head + json + tail` written straight into one Buffer: no second copy of a large JSON text as a string. */
function frameAround(head: string, json: string, tail: string): Buffer {
  const headBytes = Buffer.byteLength(head);
  const jsonBytes = Buffer.byteLength(json);
  const frame = Buffer.allocUnsafe(headBytes + jsonBytes + Buffer.byteLength(tail));
  frame.write(head, 0);
  frame.write(json, headBytes);
  frame.write(tail, headBytes + jsonBytes);
  return frame;
}

export function updateFrame(cluster: unknown): Buffer {
  return frameAround('{"type":"cluster_update","payload":{"cluster":', JSON.stringify(cluster), '}}');
}

export function deleteFrame(cluster: KubeObjectLike, resourceVersion: string): Buffer {
  const m = cluster.metadata ?? {};
  const team = (cluster as { spec?: { teamRef?: { name?: unknown } } }).spec?.teamRef?.name;
  return Buffer.from(
    JSON.stringify({
      type: 'cluster_delete',
      payload: {
        name: m.name ?? '',
        namespace: m.namespace ?? '',
        ...(typeof team === 'string' && team ? { team } : {}),
        resourceVersion,
      },
    }),
  );
}

export function notificationFrame(notification: object): Buffer {
  return Buffer.from(JSON.stringify({ type: 'notification', payload: notification }));
}

/** `snapshot` or `resync` from the cache's serialised list (already sorted by namespace, name). */
export function listFrame(type: 'snapshot' | 'resync', clustersJson: string, resourceVersion: string): Buffer {
  return frameAround(
    `{"type":"${type}","payload":{"clusters":`,
    clustersJson,
    `,"resourceVersion":${JSON.stringify(resourceVersion)}}}`,
  );
}
