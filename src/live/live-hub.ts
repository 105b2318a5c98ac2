// Fans one resource stream out to live sockets (docs/api.md §6.2), for any watched resource and any per-client
// filter. Every change is serialised once, kept in the replay buffer (resume by `?resourceVersion=`) and handed to the
// CoalescingSender of each socket whose filter allows the object's scope (for clusters: its team). An object that
// moves out of a socket's view is deleted for it. Sockets are grouped by filter (`filterKey`), so a change costs one
// check per distinct filter plus one send per socket that receives it, and snapshots and resyncs are serialised
// once per distinct filter and position.
import type { CacheSignal, ResourceCache } from '../kube/cache.js';
import type { CoalescingSender } from './coalescing-sender.js';
import { FRAME_KEY } from './frame-keys.js';
import { ReplayBuffer } from './replay-buffer.js';

export type ListFrameType = 'snapshot' | 'resync';

/** What a live stream is made of: its source, how it is framed, and how a per-client filter `F` reads it. */
export interface LiveStream<T, F> {
  /** The watch cache followed; its positions are what clients resume from. */
  source: ResourceCache<T>;
  /** Coalescing key of an object (`namespace/name`; never starting with NUL, see frame-keys.ts). */
  keyOf(o: T): string;
  /** The one property of an object that filters look at (clusters: the team), or undefined. */
  scopeOf(o: T): string | undefined;
  /** Filters with equal keys allow the same objects (and share their list frames). */
  filterKey(f: F): string;
  allows(f: F, scope: string | undefined): boolean;
  /** JSON array text of the objects a filter allows, in list order. */
  listJson(f: F): string;
  updateFrame(o: T): Buffer;
  deleteFrame(o: T, resourceVersion: string): Buffer;
  listFrame(type: ListFrameType, json: string, resourceVersion: string): Buffer;
}

export interface LiveHubOptions {
  /** Events kept for resumes, and their byte bound. */
  eventBuffer: number;
  eventBufferBytes?: number;
  /** Called after every change was handed to the sockets: how long that took (ms) and to how many sockets. */
  onFanOut?: (ms: number, sockets: number) => void;
}

/** Sockets that share one filter. */
interface Audience<F> {
  filter: F;
  senders: Set<CoalescingSender>;
}

const MAX_LIST_FRAMES = 256;

export class LiveHub<T, F> {
  private readonly buffer: ReplayBuffer;
  private readonly audiences = new Map<string, Audience<F>>();
  private readonly audienceOf = new Map<CoalescingSender, Audience<F>>();
  /** The scope of every object seen, to tell which sockets saw it before a change. */
  private readonly scopes = new Map<string, string | undefined>();
  private unsubscribe: (() => void) | undefined;
  private readonly listFrames = new Map<string, Buffer>();
  private listFramesRv = '';

  constructor(
    private readonly stream: LiveStream<T, F>,
    private readonly options: LiveHubOptions,
  ) {
    this.buffer = new ReplayBuffer(options.eventBuffer, options.eventBufferBytes ?? Infinity);
  }

  get size(): number {
    return this.audienceOf.size;
  }

  /** Bytes of frames in the replay history. */
  get replayBytes(): number {
    return this.buffer.bytes;
  }

  start(): void {
    if (this.unsubscribe) return;
    const source = this.stream.source;
    this.buffer.reset(source.synced ? source.resourceVersion : '');
    this.rememberScopes();
    this.unsubscribe = source.subscribe((s) => this.onSignal(s));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.audiences.clear();
    this.audienceOf.clear();
  }

  /**
   * Starts feeding a socket (the source must have synced): with `resumeFrom`, the events after it from the replay
   * buffer, or `resync` when it cannot be served; without, a `snapshot`.
   */
  attach(sender: CoalescingSender, filter: F, resumeFrom?: string): 'snapshot' | 'resumed' | 'resync' {
    this.join(sender, filter);
    // When its pending frames exceed the send-queue bound: a resync of its current view, built when it drains.
    sender.setResyncSource(() => this.currentList('resync', this.audienceOf.get(sender)?.filter ?? filter));
    if (resumeFrom !== undefined) {
      const missed = this.buffer.since(resumeFrom, this.stream.source.resourceVersion);
      if (missed) {
        for (const e of missed) if (this.stream.allows(filter, e.scope)) sender.send(e.key, e.frame);
        return 'resumed';
      }
      sender.replaceAll(this.currentList('resync', filter));
      return 'resync';
    }
    sender.send(FRAME_KEY.snapshot, this.currentList('snapshot', filter));
    return 'snapshot';
  }

  /** A socket's reader changed (roles): when what it may see changed, it gets a `resync` with its new view. */
  setFilter(sender: CoalescingSender, filter: F): void {
    const old = this.audienceOf.get(sender);
    if (!old || this.stream.filterKey(old.filter) === this.stream.filterKey(filter)) return;
    this.leave(sender);
    this.join(sender, filter);
    sender.replaceAll(this.currentList('resync', filter));
  }

  detach(sender: CoalescingSender): void {
    this.leave(sender);
  }

  private join(sender: CoalescingSender, filter: F): void {
    this.leave(sender);
    const key = this.stream.filterKey(filter);
    let audience = this.audiences.get(key);
    if (!audience) this.audiences.set(key, (audience = { filter, senders: new Set() }));
    audience.senders.add(sender);
    this.audienceOf.set(sender, audience);
  }

  private leave(sender: CoalescingSender): void {
    const audience = this.audienceOf.get(sender);
    if (!audience) return;
    this.audienceOf.delete(sender);
    audience.senders.delete(sender);
    if (audience.senders.size === 0) this.audiences.delete(this.stream.filterKey(audience.filter));
  }

  private currentList(type: ListFrameType, filter: F): Buffer {
    const rv = this.stream.source.resourceVersion;
    if (this.listFramesRv !== rv) {
      this.listFrames.clear();
      this.listFramesRv = rv;
    }
    const key = `${type}\u0000${this.stream.filterKey(filter)}`;
    let frame = this.listFrames.get(key);
    if (!frame) {
      frame = this.stream.listFrame(type, this.stream.listJson(filter), rv);
      if (this.listFrames.size >= MAX_LIST_FRAMES) this.listFrames.clear();
      this.listFrames.set(key, frame);
    }
    return frame;
  }

  /** From the source's content (empty before its first list; on RESYNC already the new list, though `synced` may not be set yet). */
  private rememberScopes(): void {
    this.scopes.clear();
    for (const o of this.stream.source.list()) this.scopes.set(this.stream.keyOf(o), this.stream.scopeOf(o));
  }

  private onSignal(s: CacheSignal<T>): void {
    if (s.type === 'RESYNC') {
      // The content was re-listed (first sync or after 410): positions before it cannot be resumed from.
      this.buffer.reset(s.resourceVersion);
      this.listFrames.clear();
      this.rememberScopes();
      for (const { filter, senders } of this.audiences.values()) {
        const frame = this.currentList('resync', filter);
        for (const sender of senders) sender.replaceAll(frame);
      }
      return;
    }
    // The difference of a re-list is not sent: the RESYNC that follows replaces every client's state.
    if (s.relist) return;
    const started = performance.now();
    this.listFrames.clear();
    const { stream } = this;
    const key = stream.keyOf(s.object);
    const scope = stream.scopeOf(s.object);
    const before = this.scopes.get(key);
    if (s.type === 'DELETED') this.scopes.delete(key);
    else this.scopes.set(key, scope);
    const frame = s.type === 'DELETED' ? stream.deleteFrame(s.object, s.resourceVersion) : stream.updateFrame(s.object);
    this.buffer.push(s.resourceVersion, key, frame, scope);
    const moved = s.type === 'MODIFIED' && before !== scope;
    let gone: Buffer | undefined;
    let sent = 0;
    for (const { filter, senders } of this.audiences.values()) {
      let out: Buffer | undefined;
      if (stream.allows(filter, scope)) out = frame;
      else if (moved && stream.allows(filter, before)) out = gone ??= stream.deleteFrame(s.object, s.resourceVersion);
      if (!out) continue;
      for (const sender of senders) sender.send(key, out);
      sent += senders.size;
    }
    this.options.onFanOut?.(performance.now() - started, sent);
  }
}
