// Concurrency limits per user and overall: provider checks (docs/api.md §5: per user and in total) and long-lived proxy
// streams (per user).
export interface ConcurrencyLimiter {
  /** A release function, or undefined when a limit is reached. Releasing twice is harmless. */
  tryAcquire(user: string): (() => void) | undefined;
}

export function createConcurrencyLimiter(perUser: number, total = Infinity): ConcurrencyLimiter {
  const byUser = new Map<string, number>();
  let inFlight = 0;
  return {
    tryAcquire(user) {
      const mine = byUser.get(user) ?? 0;
      if (inFlight >= total || mine >= perUser) return undefined;
      inFlight++;
      byUser.set(user, mine + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inFlight--;
        const left = (byUser.get(user) ?? 1) - 1;
        if (left <= 0) byUser.delete(user);
        else byUser.set(user, left);
      };
    },
  };
}
