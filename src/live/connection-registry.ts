// Every open /ws/clusters socket: the unauthenticated caps (docs/api.md §6.2), protocol pings with the dead-peer rule
// (§6.1), and the slow-consumer deadline. One timer sweeps all sockets instead of one timer per socket. Each socket is
// pinged once per interval at its own phase (a random one from its start), so thousands of sockets do not ping and
// pong all in the same sweep, which would stall the live updates behind it.
import { CLOSE, type LiveConnection } from './live-connection.js';

export interface RegistryLimits {
  unauthMax: number;
  unauthMaxPerAddress: number;
  pingIntervalMs: number;
  /** A socket above the high-water mark for this long is closed with 1013. */
  slowClientMaxMs: number;
}

// Slow sockets are checked at least this often, whatever the ping interval.
const SLOW_CHECK_MS = 1000;

export class ConnectionRegistry {
  private readonly connections = new Set<LiveConnection>();
  private readonly unauthByAddress = new Map<string, number>();
  private readonly unauthByBrowser = new Map<string, Set<LiveConnection>>();
  private unauthTotal = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When each socket is next pinged. */
  private readonly nextPingAt = new WeakMap<LiveConnection, number>();

  constructor(private readonly limits: RegistryLimits) {}

  private get sweepMs(): number {
    return Math.min(this.limits.pingIntervalMs, SLOW_CHECK_MS);
  }

  get size(): number {
    return this.connections.size;
  }

  get unauthenticated(): number {
    return this.unauthTotal;
  }

  /** Whether one more unauthenticated socket from this address stays within the caps. */
  canAcceptUnauthenticated(address: string): boolean {
    return (
      this.unauthTotal < this.limits.unauthMax &&
      (this.unauthByAddress.get(address) ?? 0) < this.limits.unauthMaxPerAddress
    );
  }

  add(c: LiveConnection): void {
    this.connections.add(c);
    this.nextPingAt.set(c, Date.now() + Math.random() * this.limits.pingIntervalMs);
    if (!c.authenticated) {
      this.unauthTotal++;
      this.unauthByAddress.set(c.address, (this.unauthByAddress.get(c.address) ?? 0) + 1);
      if (c.browserId !== undefined) {
        const same = this.unauthByBrowser.get(c.browserId) ?? new Set<LiveConnection>();
        same.add(c);
        this.unauthByBrowser.set(c.browserId, same);
      }
    }
    this.timer ??= setInterval(() => this.sweep(), this.sweepMs).unref();
  }

  remove(c: LiveConnection): void {
    if (!this.connections.delete(c)) return;
    if (!c.authenticated) {
      this.unauthTotal--;
      const n = (this.unauthByAddress.get(c.address) ?? 1) - 1;
      if (n > 0) this.unauthByAddress.set(c.address, n);
      else this.unauthByAddress.delete(c.address);
      const same = c.browserId !== undefined ? this.unauthByBrowser.get(c.browserId) : undefined;
      same?.delete(c);
      if (same?.size === 0) this.unauthByBrowser.delete(c.browserId!);
    }
    if (this.connections.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  all(): IterableIterator<LiveConnection> {
    return this.connections.values();
  }

  /** Closes the unauthenticated sockets of one browser (its pre-login id), e.g. when that browser logs in. */
  closeUnauthenticatedOf(browserId: string, code: number, reason: string): void {
    for (const c of this.unauthByBrowser.get(browserId) ?? []) c.close(code, reason);
  }

  closeAll(code: number, reason: string): void {
    for (const c of this.connections) c.close(code, reason);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private sweep(): void {
    const now = Date.now();
    // A ping due before the next sweep is sent now, so no socket waits a whole sweep more than its interval.
    const pingBefore = now + this.sweepMs / 2;
    for (const c of this.connections) {
      const slowSince = c.sender.slowSince;
      if (slowSince > 0) {
        if (now - slowSince >= this.limits.slowClientMaxMs) {
          c.close(CLOSE.tryAgainLater, 'slow consumer');
          continue;
        }
        c.sender.check();
      }
      if (now - c.lastPongAt > 2 * this.limits.pingIntervalMs) {
        c.ws.terminate();
        continue;
      }
      if (c.open && (this.nextPingAt.get(c) ?? 0) <= pingBefore) {
        this.nextPingAt.set(c, now + this.limits.pingIntervalMs);
        c.ws.ping();
      }
    }
  }
}
