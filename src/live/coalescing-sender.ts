// Per-socket writing with backpressure (docs/api.md §6.2 "Slow clients").
//
// `ws.send()` never blocks: unsent frames pile up in the socket's buffer. While at most `highWaterBytes` are unsent,
// frames are written straight away. A write that takes the socket above that mark switches it to coalescing: nothing
// more is written; pending frames are kept as the latest one per object (`namespace/name` → update or delete), so
// what a slow client costs is bounded by the number of clusters, and the frames themselves are shared with every
// other socket. When that last write has been handed to the kernel (its callback; the unsent amount is then below
// `lowWaterBytes`), the pending frames are written in the order of their latest change, until the mark is crossed
// again. That order (not the order of each object's first pending change) keeps "resume from the last
// resourceVersion received" correct: when a client has received a frame at position P, every change up to P has
// either been delivered or is superseded by a pending frame newer than P, which a resume from P replays.
// The pending frames are bounded in bytes too (`maxPendingBytes`): beyond it they are all dropped for one `resync`,
// built from the current list when the socket drains (`resyncFrame`), which supersedes them.
import type { WebSocket } from 'ws';
import { FRAME_KEY } from './frame-keys.js';

export interface SenderLimits {
  highWaterBytes: number;
  lowWaterBytes: number;
  /** Largest sum of pending frames before they are replaced by a resync (default unbounded). */
  maxPendingBytes?: number;
}

/** Builds the `resync` frame of the current state (shared, cached by the hub). */
export type ResyncFrameSource = () => Buffer;

// The pending entry that stands for "resync from the current state when flushing".
const LAZY_RESYNC = Buffer.alloc(0);

const TEXT = { binary: false } as const;

export class CoalescingSender {
  /** Present while the socket is above the high-water mark. Map order = order of each key's latest frame. */
  private pending: Map<string, Buffer> | undefined;
  /** Since when the socket has been above the mark without draining (0 when it is not). */
  private slowSinceMs = 0;
  private pendingByteCount = 0;
  private resyncFrame: ResyncFrameSource | undefined;
  private readonly onWritten = (err?: Error) => {
    if (!err) this.flush();
  };

  constructor(
    private readonly ws: WebSocket,
    private readonly limits: SenderLimits,
  ) {}

  get slowSince(): number {
    return this.slowSinceMs;
  }

  get pendingCount(): number {
    return this.pending?.size ?? 0;
  }

  /** Bytes of the frames waiting while the socket is slow (not counting what `ws` already buffers). */
  get pendingBytes(): number {
    return this.pendingByteCount;
  }

  /** Where a resync comes from when the pending frames exceed `maxPendingBytes` (without it, they are kept). */
  setResyncSource(source: ResyncFrameSource): void {
    this.resyncFrame = source;
  }

  /** Sends (or, while slow, coalesces) the frame of one object's change. */
  send(key: string, frame: Buffer): void {
    const pending = this.pending;
    if (!pending) {
      this.write(frame);
      return;
    }
    const previous = pending.get(key);
    if (previous) {
      pending.delete(key);
      this.pendingByteCount -= previous.length;
    }
    pending.set(key, frame);
    this.pendingByteCount += frame.length;
    if (this.resyncFrame && this.pendingByteCount > (this.limits.maxPendingBytes ?? Infinity)) {
      this.replacePending(LAZY_RESYNC);
    }
  }

  /** A frame that replaces all client state (resync): whatever is pending is superseded. */
  replaceAll(frame: Buffer): void {
    if (this.pending) {
      this.replacePending(frame);
      return;
    }
    this.write(frame);
  }

  /** Fallback for the write callback: flushes when the unsent amount is below the low-water mark. */
  check(): void {
    if (this.pending && this.ws.bufferedAmount <= this.limits.lowWaterBytes) this.flush();
  }

  dispose(): void {
    this.pending = undefined;
    this.pendingByteCount = 0;
    this.slowSinceMs = 0;
  }

  private replacePending(frame: Buffer): void {
    const pending = this.pending!;
    pending.clear();
    pending.set(FRAME_KEY.resync, frame);
    this.pendingByteCount = frame.length;
  }

  private write(frame: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount + frame.length <= this.limits.highWaterBytes) {
      this.ws.send(frame, TEXT);
      return;
    }
    this.pending = new Map();
    this.slowSinceMs = Date.now();
    this.ws.send(frame, TEXT, this.onWritten);
  }

  private flush(): void {
    const pending = this.pending;
    if (!pending || this.ws.readyState !== this.ws.OPEN) return;
    this.pending = undefined;
    this.slowSinceMs = 0;
    for (const [key, frame] of pending) {
      pending.delete(key);
      this.pendingByteCount -= frame.length;
      // The resync is built now, from the then current state: it also covers everything pending after it.
      if (frame === LAZY_RESYNC) {
        pending.clear();
        this.pendingByteCount = 0;
        this.write(this.resyncFrame!());
      } else this.write(frame);
      if (this.pending) {
        // Crossed the mark again (write() started an empty map): the rest stays pending, in order.
        this.pending = pending;
        return;
      }
    }
    this.pendingByteCount = 0;
  }
}
