// "The Kubernetes API answered recently": GET /version within 2 s, the result cached for 5 s.

import type { KubeClient } from '../kube/client.js';
import { isKubeApiError, toHttpError } from '../kube/errors.js';
import type { ReadinessCheck } from './readiness.js';

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
          // Public endpoint: the mapped one-line reason only, never upstream text.
          (err: unknown) =>
            isKubeApiError(err) ? toHttpError(err, { kind: 'version' }).message : 'kubernetes API unavailable',
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
