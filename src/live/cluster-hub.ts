// Fans the TenantCluster cache out to the authenticated /ws/clusters sockets (docs/api.md §6.2): every change is
// serialised once, kept in the replay buffer and handed to each socket's CoalescingSender.
import type { CacheSignal, ResourceCache } from '../kube/cache.js';
import { objectKey, type KubeObjectLike } from '../kube/cache-store.js';
import { ReplayBuffer } from './replay-buffer.js';
import { deleteFrame, listFrame, updateFrame } from './messages.js';
import type { CoalescingSender } from './coalescing-sender.js';

export class ClusterHub {
  private readonly buffer: ReplayBuffer;
  private readonly subscribers = new Set<CoalescingSender>();
  private unsubscribe: (() => void) | undefined;
  private listFrameCache: { type: 'snapshot' | 'resync'; rv: string; frame: Buffer } | undefined;

  constructor(
    private readonly cache: ResourceCache<KubeObjectLike>,
    eventBuffer: number,
  ) {
    this.buffer = new ReplayBuffer(eventBuffer);
  }

  get size(): number {
    return this.subscribers.size;
  }

  start(): void {
    if (this.unsubscribe) return;
    this.buffer.reset(this.cache.synced ? this.cache.resourceVersion : '');
    this.unsubscribe = this.cache.subscribe((s) => this.onSignal(s));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.subscribers.clear();
  }

  /**
   * Starts feeding a socket (the cache must have synced): with `resumeFrom`, the events after it from the replay
   * buffer, or `resync` when it cannot be served; without, a `snapshot`.
   */
  attach(sender: CoalescingSender, resumeFrom?: string): 'snapshot' | 'resumed' | 'resync' {
    this.subscribers.add(sender);
    if (resumeFrom !== undefined) {
      const missed = this.buffer.since(resumeFrom, this.cache.resourceVersion);
      if (missed) {
        for (const e of missed) sender.send(e.key, e.frame);
        return 'resumed';
      }
      sender.replaceAll(this.currentList('resync'));
      return 'resync';
    }
    sender.send('\u0000snapshot', this.currentList('snapshot'));
    return 'snapshot';
  }

  detach(sender: CoalescingSender): void {
    this.subscribers.delete(sender);
  }

  private currentList(type: 'snapshot' | 'resync'): Buffer {
    const rv = this.cache.resourceVersion;
    const c = this.listFrameCache;
    if (c && c.type === type && c.rv === rv) return c.frame;
    const frame = listFrame(type, this.cache.listJson(), rv);
    this.listFrameCache = { type, rv, frame };
    return frame;
  }

  private onSignal(s: CacheSignal<KubeObjectLike>): void {
    if (s.type === 'RESYNC') {
      // The content was re-listed (first sync or after 410): positions before it cannot be resumed from.
      this.buffer.reset(s.resourceVersion);
      this.listFrameCache = undefined;
      if (this.subscribers.size === 0) return;
      const frame = this.currentList('resync');
      for (const sender of this.subscribers) sender.replaceAll(frame);
      return;
    }
    // The difference of a re-list is not sent: the RESYNC that follows replaces every client's state.
    if (s.relist) return;
    this.listFrameCache = undefined;
    const key = objectKey(s.object);
    const frame = s.type === 'DELETED' ? deleteFrame(s.object, s.resourceVersion) : updateFrame(s.object);
    this.buffer.push(s.resourceVersion, key, frame);
    for (const sender of this.subscribers) sender.send(key, frame);
  }
}
