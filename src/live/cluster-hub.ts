// Fans the TenantCluster cache out to the authenticated /ws/clusters sockets (docs/api.md §6.2): every change is serialised once, kept
// in the replay buffer and handed to the CoalescingSender of each socket whose filter allows the cluster's team
// (platform roles: all; others: their teams). A cluster that moves to a team a socket does not see is deleted for
// it. Snapshots and resyncs are serialised once per distinct filter and position.
import type { CacheSignal, ResourceCache } from '../kube/cache.js';
import { objectKey, type KubeObjectLike } from '../kube/cache-store.js';
import { clusterTeam, filterAllows, filterKey, type ClusterFilter } from '../identity/cluster-teams.js';
import { ReplayBuffer } from './replay-buffer.js';
import { deleteFrame, listFrame, updateFrame } from './messages.js';
import type { CoalescingSender } from './coalescing-sender.js';

const ALL: ClusterFilter = { all: true };
const MAX_LIST_FRAMES = 256;

/** JSON array text of the clusters a filter allows (the shared list for `all`). */
export type FilteredListJson = (f: ClusterFilter) => string;

export class ClusterHub {
  private readonly buffer: ReplayBuffer;
  private readonly subscribers = new Map<CoalescingSender, ClusterFilter>();
  /** The team of every cluster seen, to tell which sockets saw it before a change. */
  private readonly teams = new Map<string, string | undefined>();
  private unsubscribe: (() => void) | undefined;
  private readonly listFrames = new Map<string, Buffer>();
  private listFramesRv = '';

  constructor(
    private readonly cache: ResourceCache<KubeObjectLike>,
    eventBuffer: number,
    private readonly filteredListJson: FilteredListJson = () => cache.listJson(),
    eventBufferBytes = Infinity,
  ) {
    this.buffer = new ReplayBuffer(eventBuffer, eventBufferBytes);
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Bytes of frames in the replay history. */
  get replayBytes(): number {
    return this.buffer.bytes;
  }

  start(): void {
    if (this.unsubscribe) return;
    this.buffer.reset(this.cache.synced ? this.cache.resourceVersion : '');
    this.rememberTeams();
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
  attach(
    sender: CoalescingSender,
    resumeFrom?: string,
    filter: ClusterFilter = ALL,
  ): 'snapshot' | 'resumed' | 'resync' {
    this.subscribers.set(sender, filter);
    // When its pending frames exceed the send-queue bound: a resync of its current view, built when it drains.
    sender.setResyncSource(() => this.currentList('resync', this.subscribers.get(sender) ?? filter));
    if (resumeFrom !== undefined) {
      const missed = this.buffer.since(resumeFrom, this.cache.resourceVersion);
      if (missed) {
        for (const e of missed) if (filterAllows(filter, e.team)) sender.send(e.key, e.frame);
        return 'resumed';
      }
      sender.replaceAll(this.currentList('resync', filter));
      return 'resync';
    }
    sender.send('\u0000snapshot', this.currentList('snapshot', filter));
    return 'snapshot';
  }

  /** A socket's readers changed (roles): when what it may see changed, it gets a `resync` with its new view. */
  setFilter(sender: CoalescingSender, filter: ClusterFilter): void {
    const old = this.subscribers.get(sender);
    if (!old || filterKey(old) === filterKey(filter)) return;
    this.subscribers.set(sender, filter);
    sender.replaceAll(this.currentList('resync', filter));
  }

  detach(sender: CoalescingSender): void {
    this.subscribers.delete(sender);
  }

  private currentList(type: 'snapshot' | 'resync', filter: ClusterFilter): Buffer {
    const rv = this.cache.resourceVersion;
    if (this.listFramesRv !== rv) {
      this.listFrames.clear();
      this.listFramesRv = rv;
    }
    const key = `${type}\u0000${filterKey(filter)}`;
    let frame = this.listFrames.get(key);
    if (!frame) {
      frame = listFrame(type, filter.all ? this.cache.listJson() : this.filteredListJson(filter), rv);
      if (this.listFrames.size >= MAX_LIST_FRAMES) this.listFrames.clear();
      this.listFrames.set(key, frame);
    }
    return frame;
  }

  private rememberTeams(): void {
    this.teams.clear();
    if (!this.cache.synced) return;
    for (const o of this.cache.list()) this.teams.set(objectKey(o), clusterTeam(o));
  }

  private onSignal(s: CacheSignal<KubeObjectLike>): void {
    if (s.type === 'RESYNC') {
      // The content was re-listed (first sync or after 410): positions before it cannot be resumed from.
      this.buffer.reset(s.resourceVersion);
      this.listFrames.clear();
      this.rememberTeams();
      for (const [sender, filter] of this.subscribers) sender.replaceAll(this.currentList('resync', filter));
      return;
    }
    // The difference of a re-list is not sent: the RESYNC that follows replaces every client's state.
    if (s.relist) return;
    this.listFrames.clear();
    const key = objectKey(s.object);
    const team = clusterTeam(s.object);
    const before = this.teams.get(key);
    if (s.type === 'DELETED') this.teams.delete(key);
    else this.teams.set(key, team);
    const frame = s.type === 'DELETED' ? deleteFrame(s.object, s.resourceVersion) : updateFrame(s.object);
    this.buffer.push(s.resourceVersion, key, frame, team);
    const moved = s.type === 'MODIFIED' && before !== team;
    let gone: Buffer | undefined;
    for (const [sender, filter] of this.subscribers) {
      if (filterAllows(filter, team)) sender.send(key, frame);
      else if (moved && filterAllows(filter, before))
        sender.send(key, (gone ??= deleteFrame(s.object, s.resourceVersion)));
    }
  }
}
