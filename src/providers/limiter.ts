// Concurrency limits of provider checks: at most `perUser` in flight per user and `total` overall (contract §5).
export interface CheckLimiter {
  /** A release function, or undefined when a limit is reached. */
  tryAcquire(user: string): (() => void) | undefined;
}

export function createCheckLimiter(perUser: number, total: number): CheckLimiter {
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
