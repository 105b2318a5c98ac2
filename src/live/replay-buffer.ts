// The recent live-update events with their positions, for `?resourceVersion=` resumes (docs/api.md §6.2): at most
// `capacity` events and at most `maxBytes` bytes of frames, whichever is reached first (the oldest go first). A frame
// larger than `maxBytes` is not kept at all: resumes from before it get a resync.
import { parseResourceVersion } from '../kube/cache-resource-version.js';

export interface BufferedFrame {
  /** `namespace/name` of the object, the coalescing key. */
  key: string;
  frame: Buffer;
  /** The object's scope (clusters: their team), for per-client filters. */
  scope?: string | undefined;
}

interface Entry extends BufferedFrame {
  rv: bigint;
}

export class ReplayBuffer {
  private readonly ring: (Entry | undefined)[];
  private head = 0;
  private count = 0;
  private heldBytes = 0;
  /** The position just before the oldest buffered event; undefined when resuming is impossible. */
  private base: bigint | undefined;

  constructor(
    readonly capacity: number,
    readonly maxBytes = Infinity,
  ) {
    this.ring = new Array<Entry | undefined>(Math.max(1, capacity));
  }

  get size(): number {
    return this.count;
  }

  /** Bytes of the frames held. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Forgets every event: resumes are possible from `position` on (after a LIST). */
  reset(position: string): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.heldBytes = 0;
    this.base = parseResourceVersion(position);
  }

  push(rv: string, key: string, frame: Buffer, scope?: string): void {
    const position = parseResourceVersion(rv);
    if (position === undefined) {
      // Cannot order this event: no resume can be served until the next reset.
      this.reset('');
      return;
    }
    if (this.capacity <= 0 || frame.length > this.maxBytes) {
      // Not kept: everything before it is gone too.
      this.reset(rv);
      return;
    }
    while (this.count > 0 && (this.count === this.ring.length || this.heldBytes + frame.length > this.maxBytes)) {
      this.evictOldest();
    }
    this.ring[(this.head + this.count) % this.ring.length] = { rv: position, key, frame, scope };
    this.count++;
    this.heldBytes += frame.length;
  }

  /**
   * The frames of the events after `rv`, in order, when `rv` lies between the buffer's base and `current` (the
   * cache position); undefined when the client must resync (unknown, evicted, malformed, or ahead of us).
   */
  since(rv: string, current: string): BufferedFrame[] | undefined {
    const from = parseResourceVersion(rv);
    const now = parseResourceVersion(current);
    if (from === undefined || now === undefined || this.base === undefined) return undefined;
    if (from < this.base || from > now) return undefined;
    const out: BufferedFrame[] = [];
    for (let i = 0; i < this.count; i++) {
      const e = this.ring[(this.head + i) % this.ring.length]!;
      if (e.rv > from) out.push({ key: e.key, frame: e.frame, scope: e.scope });
    }
    return out;
  }

  private evictOldest(): void {
    const evicted = this.ring[this.head]!;
    this.ring[this.head] = undefined;
    this.base = evicted.rv;
    this.heldBytes -= evicted.frame.length;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
  }
}
