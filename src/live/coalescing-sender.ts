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
import type { WebSocket } from 'ws';

export interface SenderLimits {
  highWaterBytes: number;
  lowWaterBytes: number;
}

const RESYNC_KEY = '\u0000resync';
const TEXT = { binary: false } as const;

export class CoalescingSender {
  /** Present while the socket is above the high-water mark. Map order = order of each key's latest frame. */
  private pending: Map<string, Buffer> | undefined;
  /** Since when the socket has been above the mark without draining (0 when it is not). */
  private slowSinceMs = 0;
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

  /** Sends (or, while slow, coalesces) the frame of one object's change. */
  send(key: string, frame: Buffer): void {
    if (this.pending) {
      this.pending.delete(key);
      this.pending.set(key, frame);
      return;
    }
    this.write(frame);
  }

  /** A frame that replaces all client state (resync): whatever is pending is superseded. */
  replaceAll(frame: Buffer): void {
    if (this.pending) {
      this.pending.clear();
      this.pending.set(RESYNC_KEY, frame);
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
    this.slowSinceMs = 0;
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
      this.write(frame);
      if (this.pending) {
        // Crossed the mark again (write() started an empty map): the rest stays pending, in order.
        this.pending = pending;
        return;
      }
    }
  }
}
