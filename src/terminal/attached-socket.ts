// The browser socket currently attached to a terminal session: protocol pings with the dead-peer rule (docs/api.md §6.1), the
// 1 MiB frame limit, and a close that does not wait forever for the peer.
import type { RawData, WebSocket } from 'ws';
import { CLOSE } from './close-codes.js';

const CLOSE_GRACE_MS = 2000;

export interface AttachedSocketHandlers {
  onMessage(data: Buffer, isBinary: boolean): void;
  /** The socket closed without this side closing it (peer close, network drop, dead peer). */
  onClose(code: number): void;
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

export class AttachedSocket {
  private lastPongAt = Date.now();
  private readonly pingTimer: NodeJS.Timeout;
  private closing = false;

  constructor(
    readonly ws: WebSocket,
    private readonly o: { pingIntervalMs: number; maxMessageBytes: number },
    private readonly handlers: AttachedSocketHandlers,
  ) {
    ws.on('message', this.message);
    ws.on('pong', this.pong);
    ws.on('close', this.closed);
    this.pingTimer = setInterval(() => this.ping(), o.pingIntervalMs);
    this.pingTimer.unref();
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get open(): boolean {
    return !this.closing && this.ws.readyState === this.ws.OPEN;
  }

  send(text: string, cb?: () => void): void {
    if (!this.open) return;
    this.ws.send(text, { binary: false }, cb);
  }

  /** Closes from this side: no onClose callback follows. */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.detach();
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.close(code, reason);
      setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
    }
  }

  private detach(): void {
    this.closing = true;
    clearInterval(this.pingTimer);
    this.ws.off('message', this.message);
    this.ws.off('pong', this.pong);
    this.ws.off('close', this.closed);
  }

  private ping(): void {
    if (Date.now() - this.lastPongAt > 2 * this.o.pingIntervalMs) {
      this.ws.terminate();
      return;
    }
    if (this.open) this.ws.ping();
  }

  private readonly pong = () => {
    this.lastPongAt = Date.now();
  };

  private readonly message = (data: RawData, isBinary: boolean) => {
    const buf = toBuffer(data);
    if (buf.length > this.o.maxMessageBytes) {
      this.closing = true;
      clearInterval(this.pingTimer);
      this.ws.off('message', this.message);
      // The close event still reaches the session: the socket is gone, the shell stays for the reattach grace.
      this.ws.close(CLOSE.tooLarge, 'message too large');
      setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
      return;
    }
    if (this.closing) return;
    this.handlers.onMessage(buf, isBinary);
  };

  private readonly closed = (code: number) => {
    this.detach();
    this.handlers.onClose(code);
  };
}
