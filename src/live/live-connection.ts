// One /ws/clusters socket: what it owns (sender, timers, session watch) and how it ends.
import type { RawData, WebSocket } from 'ws';
import { CoalescingSender, type SenderLimits } from './coalescing-sender.js';
import { FRAME_KEY } from './frame-keys.js';
import { PONG_FRAME } from './messages.js';

/** Client messages larger than this close the socket with 1009 (docs/api.md §6.2). */
export const MAX_CLIENT_MESSAGE_BYTES = 4096;
/** A socket that does not finish the close handshake within this time is destroyed. */
const CLOSE_GRACE_MS = 2000;

export const CLOSE = {
  tooLarge: 1009,
  internalError: 1011,
  tryAgainLater: 1013,
  unauthenticated: 4401,
  forbidden: 4403,
} as const;

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data.byteLength;
}

function toText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

/**
 * The WebSocket server's maxPayload (BUTLER_WS_MAX_MESSAGE_BYTES) is shared with the terminals. Lowering it for this
 * socket makes `ws` itself close with 1009 as soon as a frame exceeds 4 KiB, instead of buffering up to that limit
 * first. It is a private field of `ws` 8: when it is missing, the size check in onMessage still closes with 1009.
 */
function limitIncomingMessages(ws: WebSocket): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver;
  if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = MAX_CLIENT_MESSAGE_BYTES;
}

export class LiveConnection {
  readonly sender: CoalescingSender;
  lastPongAt = Date.now();
  private readonly cleanups: (() => void)[] = [];
  private closing = false;

  constructor(
    readonly ws: WebSocket,
    readonly address: string,
    /** The session's jti, or undefined for a data-less (unauthenticated) socket. */
    readonly jti: string | undefined,
    limits: SenderLimits,
    /** The pre-login browser id of an unauthenticated socket: that browser's login closes it. */
    readonly browserId?: string,
  ) {
    this.sender = new CoalescingSender(ws, limits);
    limitIncomingMessages(ws);
    ws.on('pong', () => {
      this.lastPongAt = Date.now();
    });
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
  }

  get authenticated(): boolean {
    return this.jti !== undefined;
  }

  get open(): boolean {
    return !this.closing && this.ws.readyState === this.ws.OPEN;
  }

  /** Registers something to undo when the socket ends (timers, subscriptions). */
  onEnd(cleanup: () => void): void {
    if (this.closing && this.ws.readyState === this.ws.CLOSED) cleanup();
    else this.cleanups.push(cleanup);
  }

  /** Closes with a code; destroys the socket when the peer does not answer the close frame in time. */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.sender.dispose();
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.close(code, reason);
      const timer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
      timer.unref();
      this.cleanups.push(() => clearTimeout(timer));
    }
  }

  /** Called once, when the socket has closed. */
  dispose(): void {
    this.closing = true;
    this.sender.dispose();
    for (const c of this.cleanups.splice(0)) c();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (byteLength(data) > MAX_CLIENT_MESSAGE_BYTES) {
      this.close(CLOSE.tooLarge, 'message too large');
      return;
    }
    if (isBinary || !this.open) return;
    let message: unknown;
    try {
      message = JSON.parse(toText(data));
    } catch {
      return;
    }
    if ((message as { type?: unknown } | null)?.type === 'ping') this.sender.send(FRAME_KEY.pong, PONG_FRAME);
  }
}
