// Revoked tokens (docs/api.md §2.4): one ConfigMap per jti in the system namespace, LIST+WATCHed into memory.
import { createHash } from 'node:crypto';
import type { Config } from '../config/types.js';
import type { KubeClient, KubeWatchEvent } from '../kube/client.js';
import { isKubeStatus, KubeApiError } from '../kube/errors.js';
import { lostStateVersion } from '../kube/lost-state.js';
import { errorMessage } from '../observability/logger.js';
import { paths } from '../kube/butler.js';

export const REVOCATION_PREFIX = 'butler-revoked-';
export const REVOCATION_LABELS = {
  'app.kubernetes.io/managed-by': 'butler',
  'butler.butlerlabs.dev/revoked-token': 'true',
} as const;
const LABEL_SELECTOR = Object.entries(REVOCATION_LABELS)
  .map(([k, v]) => `${k}=${v}`)
  .join(',');

const CLEANUP_INTERVAL_MS = 10 * 60_000;
const CLEANUP_GRACE_MS = 60_000;
const BACKOFF_MIN_MS = 200;
const BACKOFF_MAX_MS = 10_000;
const WATCH_TIMEOUT_SECONDS = 300;

export interface RevocationStore {
  start(): Promise<void>;
  stop(): void;
  /** True once the first LIST has succeeded. */
  readonly synced: boolean;
  /** Revoked token ids currently known (shrinks when expired markers are cleaned up). */
  readonly size: number;
  /**
   * Whether revocations made on other replicas are being received: after the first LIST, `receiving` stays true
   * while the LIST+WATCH works; when it fails, `since` is when it started failing and `error` says why.
   */
  health(): RevocationHealth;
  isRevoked(jti: string): boolean;
  /** Whether a token is revoked: its own jti, or every token of its user issued up to a "log out everywhere". */
  isSessionRevoked(token: { jti: string; username: string; iat: number }): boolean;
  /**
   * "Log out everywhere": every session and kubectl token of `username` issued up to now (to the second) is refused
   * from now on, on every replica. Stored as one more marker (`user-<sha256(username)>-<seconds>`).
   */
  revokeUser(username: string): Promise<void>;
  /** Adds the jti locally, then stores the marker; resolves once it is stored (AlreadyExists counts as stored). */
  revoke(jti: string, expiresAt: Date): Promise<void>;
  /** Called once per newly revoked jti or user marker (local or from any replica). Returns an unsubscribe function. */
  onRevoked(listener: (jti: string) => void): () => void;
  /** Deletes markers whose expiry is over a minute past (run every 10 min with jitter); returns how many. */
  cleanup(): Promise<number>;
}

const USER_MARKER = /^user-([0-9a-f]{32})-(\d{1,12})$/;
const userHash = (username: string) => createHash('sha256').update(username).digest('hex').slice(0, 32);

export type RevocationHealth = { receiving: true } | { receiving: false; since: number; error: string };

/** A short reason for a failed LIST or WATCH, without paths or server internals. */
function failureReason(err: unknown): string {
  if (err instanceof KubeApiError) {
    if (err.kind === 'timeout') return 'kubernetes API timed out';
    if (err.kind === 'status') return `kubernetes API answered ${err.statusCode ?? 'an error'}`;
  }
  return 'kubernetes API unavailable';
}

export interface RevocationStoreOptions {
  /** Watch reconnect backoff bounds (tests shorten them). */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  cleanupIntervalMs?: number;
  log?: { warn(obj: object, msg: string): void; info?(obj: object, msg: string): void };
}

interface ConfigMapLike {
  metadata?: { name?: string; resourceVersion?: string; creationTimestamp?: string };
  data?: Record<string, string>;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

export function createRevocationStore(
  kube: KubeClient,
  config: Config,
  opts: RevocationStoreOptions = {},
): RevocationStore {
  const namespace = config.systemNamespace;
  const path = paths.configMaps(namespace);
  const backoffMin = opts.backoffMinMs ?? BACKOFF_MIN_MS;
  const backoffMax = opts.backoffMaxMs ?? BACKOFF_MAX_MS;
  const cleanupInterval = opts.cleanupIntervalMs ?? CLEANUP_INTERVAL_MS;

  /** jti → expiry (ms since epoch). */
  const revoked = new Map<string, number>();
  const listeners = new Set<(jti: string) => void>();
  let synced = false;
  let resourceVersion = '';
  let failing: { since: number; error: string } | undefined;
  const receiving = () => {
    failing = undefined;
  };
  let controller: AbortController | undefined;
  let cleanupTimer: NodeJS.Timeout | undefined;
  let firstSync: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  let ready: Promise<void> | undefined;

  function notify(jti: string) {
    for (const l of [...listeners]) {
      try {
        l(jti);
      } catch (err) {
        opts.log?.warn({ err }, 'revocation listener failed');
      }
    }
  }

  /** user hash → tokens issued at or before this second are revoked. */
  const usersRevokedUpTo = new Map<string, number>();
  function noteUserMarker(key: string) {
    const m = USER_MARKER.exec(key);
    if (m) usersRevokedUpTo.set(m[1]!, Math.max(usersRevokedUpTo.get(m[1]!) ?? 0, Number(m[2])));
  }

  function add(jti: string, expiresAtMs: number) {
    const known = revoked.get(jti);
    revoked.set(jti, Math.max(known ?? 0, expiresAtMs));
    noteUserMarker(jti);
    if (known === undefined) notify(jti);
  }

  function fromObject(obj: ConfigMapLike): { jti: string; expiresAtMs: number } | undefined {
    const name = obj.metadata?.name ?? '';
    if (!name.startsWith(REVOCATION_PREFIX)) return undefined;
    const jti = name.slice(REVOCATION_PREFIX.length);
    const parsed = Date.parse(obj.data?.expiresAt ?? '');
    // A marker without a readable expiry stays until a full token lifetime after it was written.
    const created = Date.parse(obj.metadata?.creationTimestamp ?? '');
    const expiresAtMs = Number.isNaN(parsed)
      ? (Number.isNaN(created) ? Date.now() : created) + config.auth.tokenTtlMs
      : parsed;
    return { jti, expiresAtMs };
  }

  async function relist(signal: AbortSignal) {
    const list = await kube.list<ConfigMapLike>(path, { labelSelector: LABEL_SELECTOR }, { signal });
    // Entries are never dropped on a relist: a marker deleted early must not bring a live token back.
    for (const item of list.items) {
      const r = fromObject(item);
      if (r) add(r.jti, r.expiresAtMs);
    }
    resourceVersion = list.resourceVersion;
    receiving();
    if (!synced) {
      synced = true;
      firstSync?.resolve();
      firstSync = undefined;
    }
  }

  class Expired extends Error {}

  function onEvent(e: KubeWatchEvent) {
    if (e.type !== 'ERROR') receiving();
    const obj = e.object as ConfigMapLike & { code?: number; reason?: string };
    switch (e.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const r = fromObject(obj);
        if (r) add(r.jti, r.expiresAtMs);
        break;
      }
      case 'DELETED': {
        const r = fromObject(obj);
        if (r && (revoked.get(r.jti) ?? 0) + CLEANUP_GRACE_MS < Date.now()) revoked.delete(r.jti);
        break;
      }
      case 'BOOKMARK':
        break;
      case 'ERROR':
        if (obj.code === 410 || obj.reason === 'Expired' || obj.reason === 'Gone') throw new Expired();
        throw new KubeApiError('status', `watch error: ${obj.reason ?? obj.code ?? 'unknown'}`, {
          statusCode: obj.code,
        });
      default:
        return;
    }
    const rv = obj.metadata?.resourceVersion;
    if (rv) resourceVersion = rv;
  }

  async function run(signal: AbortSignal) {
    let backoff = backoffMin;
    while (!signal.aborted) {
      try {
        if (!resourceVersion) await relist(signal);
        else if (await lostStateVersion(kube, path, resourceVersion, signal)) {
          // The API server lost its state: a watch from our position would stay silent (src/kube/lost-state.ts).
          opts.log?.warn(
            { resourceVersion },
            'API server is behind the revocation store (it lost its state); re-listing',
          );
          resourceVersion = '';
          continue;
        }
        if (resourceVersion) receiving();
        const started = Date.now();
        await kube.watch(
          path,
          {
            labelSelector: LABEL_SELECTOR,
            resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: WATCH_TIMEOUT_SECONDS,
          },
          onEvent,
          signal,
        );
        // A stream that ended normally resumes at once; one that keeps ending immediately is backed off.
        if (Date.now() - started > 1000) {
          backoff = backoffMin;
          continue;
        }
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof Expired || isKubeStatus(err, 410)) {
          resourceVersion = '';
          continue;
        }
        failing ??= { since: Date.now(), error: failureReason(err) };
        const delay = Math.round(backoff + Math.random() * backoff * 0.2);
        opts.log?.warn({ error: errorMessage(err), retryInMs: delay }, 'revocation watch failed; retrying');
        await sleep(delay, signal);
        backoff = Math.min(backoffMax, backoff * 2);
        continue;
      }
      await sleep(backoff + Math.random() * backoff * 0.2, signal);
      backoff = Math.min(backoffMax, backoff * 2);
    }
  }

  function scheduleCleanup() {
    const delay = cleanupInterval * (0.9 + Math.random() * 0.2);
    cleanupTimer = setTimeout(() => {
      store
        .cleanup()
        .catch((err: unknown) => opts.log?.warn({ err }, 'revocation clean-up failed'))
        .finally(() => {
          if (controller && !controller.signal.aborted) scheduleCleanup();
        });
    }, delay);
    cleanupTimer.unref();
  }

  const store: RevocationStore = {
    get synced() {
      return synced;
    },
    get size() {
      return revoked.size;
    },
    health() {
      return failing ? { receiving: false, since: failing.since, error: failing.error } : { receiving: true };
    },
    start() {
      if (ready) return ready;
      controller = new AbortController();
      ready = new Promise<void>((resolve, reject) => (firstSync = { resolve, reject }));
      // Callers that do not await start() must not see an unhandled rejection when stop() comes first.
      ready.catch(() => undefined);
      void run(controller.signal);
      scheduleCleanup();
      return ready;
    },
    stop() {
      controller?.abort();
      if (cleanupTimer) clearTimeout(cleanupTimer);
      firstSync?.reject(new Error('revocation store stopped'));
      firstSync = undefined;
    },
    isRevoked(jti) {
      return revoked.has(jti);
    },
    isSessionRevoked({ jti, username, iat }) {
      if (revoked.has(jti)) return true;
      const upTo = usersRevokedUpTo.get(userHash(username));
      return upTo !== undefined && iat <= upTo;
    },
    async revokeUser(username) {
      const nowMs = Date.now();
      // Markers outlive every token they can refuse: the longest lifetime plus the leeway.
      const longest = Math.max(config.auth.tokenTtlMs, config.auth.kubectlTokenTtlMs) + 60_000;
      await store.revoke(`user-${userHash(username)}-${Math.floor(nowMs / 1000)}`, new Date(nowMs + longest));
    },
    async revoke(jti, expiresAt) {
      const wasKnown = revoked.has(jti);
      if (!wasKnown) revoked.set(jti, expiresAt.getTime());
      try {
        await kube.request({
          method: 'POST',
          path,
          body: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: `${REVOCATION_PREFIX}${jti}`, namespace, labels: { ...REVOCATION_LABELS } },
            data: { expiresAt: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z') },
          },
        });
      } catch (err) {
        if (!isKubeStatus(err, 409)) {
          // Not stored: the session stays valid (docs/api.md §2.3), so this replica forgets the local entry too.
          if (!wasKnown) revoked.delete(jti);
          throw err;
        }
      }
      if (!wasKnown) {
        noteUserMarker(jti);
        notify(jti);
      }
    },
    onRevoked(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async cleanup() {
      const cutoff = Date.now() - CLEANUP_GRACE_MS;
      let deleted = 0;
      for (const [jti, expiresAtMs] of [...revoked]) {
        if (expiresAtMs >= cutoff) continue;
        try {
          await kube.request({ method: 'DELETE', path: `${path}/${REVOCATION_PREFIX}${jti}` });
          deleted++;
        } catch (err) {
          if (!isKubeStatus(err, 404)) throw err;
        }
        revoked.delete(jti);
      }
      return deleted;
    },
  };
  return store;
}
