// Per-object serial work and delayed steps for the simulated controller. Work for one key never overlaps; every
// timer is tracked so stop() leaves nothing behind.

export interface WorkQueue {
  /** Runs `fn` after the work already queued for `key`. Failures go to `onError`. */
  enqueue(key: string, fn: () => Promise<void>): void;
  /** Queues `fn` for `key` after `ms`, unless a step with the same tag is already waiting for that key. */
  after(key: string, tag: string, ms: number, fn: () => Promise<void>): void;
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export function createWorkQueue(onError: (key: string, err: unknown) => void): WorkQueue {
  const chains = new Map<string, Promise<void>>();
  const timers = new Map<string, { tag: string; timer: NodeJS.Timeout }>();
  let stopped = false;

  const enqueue = (key: string, fn: () => Promise<void>) => {
    if (stopped) return;
    const previous = chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => (stopped ? undefined : fn()))
      .catch((err: unknown) => {
        if (!stopped) onError(key, err);
      });
    chains.set(key, next);
    void next.then(() => {
      if (chains.get(key) === next) chains.delete(key);
    });
  };

  return {
    enqueue,
    after(key, tag, ms, fn) {
      if (stopped) return;
      const pending = timers.get(key);
      if (pending?.tag === tag) return;
      if (pending) clearTimeout(pending.timer);
      const timer = setTimeout(() => {
        timers.delete(key);
        enqueue(key, fn);
      }, ms);
      timers.set(key, { tag, timer });
    },
    async idle() {
      for (let round = 0; round < 100 && chains.size > 0; round++) await Promise.all([...chains.values()]);
    },
    async stop() {
      stopped = true;
      for (const { timer } of timers.values()) clearTimeout(timer);
      timers.clear();
      await Promise.all([...chains.values()]);
    },
  };
}
