// Login throttling (docs/api.md §2.6): failures per (username, address) and attempts per address, per replica.
const MAX_KEYS = 10_000;

export interface LoginThrottle {
  /** Seconds to wait when this attempt must be refused, else 0. Counts the attempt against the address rate. */
  check(username: string, address: string): number;
  recordFailure(username: string, address: string): void;
  recordSuccess(username: string, address: string): void;
}

export function createLoginThrottle(o: {
  maxFailures: number;
  failureWindowMs: number;
  ratePerMinute: number;
  now?: () => number;
}): LoginThrottle {
  const now = o.now ?? Date.now;
  const failures = new Map<string, number[]>();
  const attempts = new Map<string, number[]>();
  const pairKey = (u: string, a: string) => `${a}\u0000${u}`;

  function recent(map: Map<string, number[]>, key: string, windowMs: number): number[] {
    const t = now();
    const list = (map.get(key) ?? []).filter((x) => x > t - windowMs);
    if (list.length) map.set(key, list);
    else map.delete(key);
    return list;
  }

  function bound(map: Map<string, number[]>, windowMs: number) {
    if (map.size < MAX_KEYS) return;
    const t = now();
    for (const [k, list] of map) if (!list.some((x) => x > t - windowMs)) map.delete(k);
    // Still full: drop the oldest keys (insertion order) rather than grow without bound.
    for (const k of map.keys()) {
      if (map.size < MAX_KEYS) break;
      map.delete(k);
    }
  }

  return {
    check(username, address) {
      const t = now();
      const rate = recent(attempts, address, 60_000);
      if (rate.length >= o.ratePerMinute) return Math.max(1, Math.ceil((rate[0]! + 60_000 - t) / 1000));
      bound(attempts, 60_000);
      attempts.set(address, [...rate, t]);
      const failed = recent(failures, pairKey(username, address), o.failureWindowMs);
      if (failed.length >= o.maxFailures) return Math.max(1, Math.ceil((failed[0]! + o.failureWindowMs - t) / 1000));
      return 0;
    },
    recordFailure(username, address) {
      bound(failures, o.failureWindowMs);
      const key = pairKey(username, address);
      failures.set(key, [...recent(failures, key, o.failureWindowMs), now()]);
    },
    recordSuccess(username, address) {
      failures.delete(pairKey(username, address));
    },
  };
}
