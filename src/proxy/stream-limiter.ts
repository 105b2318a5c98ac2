// Per-user cap on concurrent long-lived proxy streams (watches, followed logs, upgraded connections).

export interface StreamLimiter {
  /** A release function, or undefined when the user is at the cap. Releasing twice is harmless. */
  tryAcquire(user: string): (() => void) | undefined;
  active(user: string): number;
}

export function createStreamLimiter(maxPerUser: number): StreamLimiter {
  const counts = new Map<string, number>();
  return {
    tryAcquire(user) {
      const n = counts.get(user) ?? 0;
      if (n >= maxPerUser) return undefined;
      counts.set(user, n + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (counts.get(user) ?? 1) - 1;
        if (left <= 0) counts.delete(user);
        else counts.set(user, left);
      };
    },
    active: (user) => counts.get(user) ?? 0,
  };
}
