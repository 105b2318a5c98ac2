// Readiness conditions for /readyz. The services graph (src/services.ts) lists them; the health plugin asks them.
import type { RevocationStore } from '../auth/revocations.js';

/**
 * One readiness condition: resolves null when ready, a short reason when not ready, or a status to show while still
 * ready (e.g. a problem within its grace period).
 */
export interface ReadinessCheck {
  name: string;
  check(): Promise<string | null | { ready: true; status: string }>;
}

/**
 * Not ready before the first LIST, and when revocations from other replicas have not been received for
 * `staleAfterMs` (BUTLER_REVOCATION_STALE_AFTER): a token logged out elsewhere would still be accepted here.
 */
export function revocationReadiness(
  store: RevocationStore,
  staleAfterMs: number,
  now = Date.now(),
): string | null | { ready: true; status: string } {
  if (!store.synced) return 'revocation store not synced';
  const health = store.health();
  if (health.receiving) return null;
  const seconds = Math.max(0, Math.floor((now - health.since) / 1000));
  const status = `not received for ${seconds}s (${health.error})`;
  return now - health.since >= staleAfterMs ? status : { ready: true, status };
}
