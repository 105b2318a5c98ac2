// "The Kubernetes API answered recently": GET /version within 2 s, the result cached for 5 s.

import type { KubeClient } from '../kube/client.js';
import type { ReadinessCheck } from '../services.js';

const VERSION_TIMEOUT_MS = 2000;
const CACHE_MS = 5000;

export function kubeVersionCheck(kube: KubeClient, now: () => number = Date.now): ReadinessCheck {
  let last: { at: number; result: string | null } | undefined;
  let inFlight: Promise<string | null> | undefined;
  return {
    name: 'kubernetes',
    check() {
      if (last && now() - last.at < CACHE_MS) return Promise.resolve(last.result);
      inFlight ??= kube
        .request<unknown>({ method: 'GET', path: '/version', timeoutMs: VERSION_TIMEOUT_MS })
        .then(
          () => null,
          (err: unknown) =>
            `kubernetes API did not answer /version: ${err instanceof Error ? err.message : String(err)}`,
        )
        .then((result) => {
          last = { at: now(), result };
          inFlight = undefined;
          return result;
        });
      return inFlight;
    },
  };
}
