// The shared watch cache: one LIST+WATCH per resource per process. REST handlers read it; the live-update hub
// subscribes to it. Nothing else watches Kubernetes for these resources.
//
// LIST (paged) → WATCH from the list's resourceVersion with bookmarks. A watch that ends or fails is resumed from
// the last resourceVersion seen (events or bookmarks), after a bounded, jittered backoff when it keeps failing.
// A 410 Expired (as an answer or as an ERROR event) means the resume point left the API server's history: the cache
// lists again and emits the difference to the old content (ADDED / MODIFIED / DELETED, marked `relist`), then RESYNC.
// Before resuming, a cheap LIST checks that the server has not lost its state (lost-state.ts); if it has, the cache
// re-lists the same way.
import type { Logger } from 'pino';
import type { KubeClient, KubeWatchEvent } from './client.js';
import { isKubeStatus } from './errors.js';
import { errorMessage } from '../observability/logger.js';
import { ObjectStore, stripManagedFields, type KubeObjectLike } from './cache-store.js';

export type { KubeObject, KubeObjectLike } from './cache-store.js';
import { compareResourceVersions, parseResourceVersion } from './cache-resource-version.js';
import { lostStateVersion } from './lost-state.js';

export interface CacheEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: T;
  /** The position after this event: the object's resourceVersion (for relist deletions, the list's). */
  resourceVersion: string;
  /** True for the difference emitted after a re-list; a RESYNC signal follows the last of them. */
  relist?: boolean;
}

/** RESYNC follows every LIST (the first sync and every re-list after 410): the content was replaced. */
export type CacheSignal<T> = CacheEvent<T> | { type: 'RESYNC'; resourceVersion: string };

export interface ResourceCache<T> {
  start(): void;
  stop(): void;
  readonly synced: boolean;
  waitForSync(timeoutMs: number): Promise<boolean>;
  /** Position: resourceVersion of the last applied event or bookmark (after a LIST: the list's). '' before sync. */
  readonly resourceVersion: string;
  /** Sorted by namespace, then name; managedFields stripped. A new array, but the objects are shared: do not modify them. */
  list(namespace?: string): T[];
  get(namespace: string | undefined, name: string): T | undefined;
  /**
   * Read-your-writes: resolves once the position is at or after `rv` (numeric comparison, see
   * cache-resource-version.ts), or after `timeoutMs`, or at once for a non-numeric `rv`, or when the cache stops.
   */
  waitForResourceVersion(rv: string, timeoutMs: number): Promise<void>;
  /** Signals in watch order; returns the unsubscribe function. Listeners run synchronously: keep them short. */
  subscribe(listener: (s: CacheSignal<T>) => void): () => void;
  /** JSON text of `list(namespace)`, serialised once per change. */
  listJson(namespace?: string): string;
}

export type CacheLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface ResourceCacheOptions {
  /** Collection path, e.g. '/apis/butler.butlerlabs.dev/v1alpha1/tenantclusters' (all namespaces). */
  path: string;
  /** For logs, e.g. 'tenantclusters'. */
  name: string;
  /** LIST page size (default 500). */
  pageSize?: number;
  /** Label selector for LIST and WATCH. */
  labelSelector?: string;
  logger?: CacheLogger;
  /** Backoff between failed attempts: first delay and upper bound (defaults 250 ms, 10 s), ±50 % jitter. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

class WatchExpired extends Error {
  constructor() {
    super('watch expired (410)');
  }
}

// A watch stream that ends sooner than this without any event counts as a failure (backoff), not a normal end.
const HEALTHY_STREAM_MS = 1000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function resourceVersionOf(o: unknown): string {
  return (o as KubeObjectLike | undefined)?.metadata?.resourceVersion ?? '';
}

class WatchedResourceCache<T> implements ResourceCache<T> {
  private readonly store = new ObjectStore<T>();
  private position = '';
  private isSynced = false;
  private readonly listeners = new Set<(s: CacheSignal<T>) => void>();
  private readonly syncWaiters = new Set<(ok: boolean) => void>();
  private readonly rvWaiters = new Set<{ rv: bigint; done: () => void }>();
  private abort: AbortController | undefined;
  private readonly pageSize: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;

  constructor(
    private readonly kube: KubeClient,
    private readonly o: ResourceCacheOptions,
  ) {
    this.pageSize = o.pageSize ?? 500;
    this.backoffBaseMs = o.backoffBaseMs ?? 250;
    this.backoffMaxMs = o.backoffMaxMs ?? 10_000;
  }

  get synced(): boolean {
    return this.isSynced;
  }

  get resourceVersion(): string {
    return this.position;
  }

  start(): void {
    if (this.abort) return;
    const abort = new AbortController();
    this.abort = abort;
    void this.run(abort.signal);
  }

  stop(): void {
    this.abort?.abort();
    this.abort = undefined;
    for (const w of this.rvWaiters) w.done();
    this.rvWaiters.clear();
    for (const resolve of this.syncWaiters) resolve(false);
    this.syncWaiters.clear();
  }

  list(namespace?: string): T[] {
    // A copy of the array (callers may sort or filter in place); the objects themselves are shared.
    return this.store.list(namespace).slice();
  }

  listJson(namespace?: string): string {
    return this.store.listJson(namespace);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(namespace, name);
  }

  waitForSync(timeoutMs: number): Promise<boolean> {
    if (this.isSynced) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.syncWaiters.delete(done);
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.syncWaiters.add(done);
    });
  }

  waitForResourceVersion(rv: string, timeoutMs: number): Promise<void> {
    const target = parseResourceVersion(rv);
    if (target === undefined || !this.abort || this.reached(target)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = {
        rv: target,
        done: () => {
          clearTimeout(timer);
          this.rvWaiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.done, timeoutMs);
      this.rvWaiters.add(waiter);
    });
  }

  subscribe(listener: (s: CacheSignal<T>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private reached(target: bigint): boolean {
    const position = parseResourceVersion(this.position);
    return position !== undefined && position >= target;
  }

  private emit(signal: CacheSignal<T>): void {
    for (const listener of this.listeners) {
      try {
        listener(signal);
      } catch (err) {
        this.o.logger?.error({ err, cache: this.o.name }, 'cache subscriber failed');
      }
    }
  }

  private advance(rv: string): void {
    if (!rv) return;
    // Never move backwards (a bookmark older than an applied event would otherwise rewind the position).
    if (compareResourceVersions(rv, this.position) === -1) return;
    this.position = rv;
    if (this.rvWaiters.size === 0) return;
    for (const w of [...this.rvWaiters]) if (this.reached(w.rv)) w.done();
  }

  private async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist(signal);
          needList = false;
        } else if (await this.serverLostState(signal)) {
          needList = true;
          failures = 0;
          continue;
        }
        const started = Date.now();
        const events = await this.watchOnce(signal);
        failures = events > 0 || Date.now() - started >= HEALTHY_STREAM_MS ? 0 : failures + 1;
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof WatchExpired || isKubeStatus(err, 410)) {
          this.o.logger?.info({ cache: this.o.name, resourceVersion: this.position }, 'watch expired; re-listing');
          needList = true;
          failures = 0;
          continue;
        }
        failures++;
        const log = failures === 1 ? this.o.logger?.warn : this.o.logger?.debug;
        log?.call(
          this.o.logger,
          { error: errorMessage(err), cache: this.o.name, failures },
          needList ? 'list failed; retrying' : 'watch failed; retrying',
        );
      }
      if (failures > 0 && !signal.aborted) {
        const delay = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** Math.min(failures - 1, 20));
        await sleep(delay * (0.5 + Math.random() / 2), signal);
      }
    }
  }

  /** Before a resume: whether the API server is behind our position (it lost its state; see lost-state.ts). */
  private async serverLostState(signal: AbortSignal): Promise<boolean> {
    const current = await lostStateVersion(this.kube, this.o.path, this.position, signal);
    if (current === undefined || signal.aborted) return false;
    this.o.logger?.warn(
      { cache: this.o.name, resourceVersion: this.position, serverResourceVersion: current },
      'API server is behind the cache (it lost its state); re-listing',
    );
    return true;
  }

  private async listAll(signal: AbortSignal): Promise<{ items: T[]; resourceVersion: string }> {
    const { items, resourceVersion } = await this.kube.list<T>(
      this.o.path,
      { labelSelector: this.o.labelSelector },
      { signal, pageSize: this.pageSize },
    );
    return { items: items.map(stripManagedFields), resourceVersion };
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const { items, resourceVersion } = await this.listAll(signal);
    if (signal.aborted) return;
    const changes = this.store.replace(items);
    this.position = resourceVersion;
    for (const c of changes) {
      const rv = c.type === 'DELETED' ? resourceVersion : resourceVersionOf(c.object);
      this.emit({ type: c.type, object: c.object, resourceVersion: rv, relist: true });
    }
    this.emit({ type: 'RESYNC', resourceVersion });
    this.advance(resourceVersion);
    this.o.logger?.info(
      { cache: this.o.name, resourceVersion, objects: items.length, changes: changes.length },
      this.isSynced ? 'cache re-listed' : 'cache synced',
    );
    if (!this.isSynced) {
      this.isSynced = true;
      for (const resolve of [...this.syncWaiters]) resolve(true);
    }
  }

  /** One WATCH stream from the current position; returns the number of events it delivered. */
  private async watchOnce(signal: AbortSignal): Promise<number> {
    let events = 0;
    const onEvent = (e: KubeWatchEvent) => {
      events++;
      switch (e.type) {
        case 'ADDED':
        case 'MODIFIED':
        case 'DELETED': {
          const object = stripManagedFields(e.object as T);
          const rv = resourceVersionOf(object);
          this.store.apply(e.type, object);
          if (rv) this.position = rv;
          this.emit({ type: e.type, object, resourceVersion: rv });
          this.advance(rv);
          break;
        }
        case 'BOOKMARK':
          this.advance(resourceVersionOf(e.object));
          break;
        case 'ERROR': {
          const status = e.object as { code?: number; reason?: string; message?: string } | undefined;
          if (status?.code === 410 || status?.reason === 'Expired' || status?.reason === 'Gone') {
            throw new WatchExpired();
          }
          throw new Error(`watch error event: ${status?.code ?? '?'} ${status?.message ?? ''}`);
        }
        default:
          this.o.logger?.debug({ cache: this.o.name, type: e.type }, 'unknown watch event ignored');
      }
    };
    await this.kube.watch(
      this.o.path,
      {
        resourceVersion: this.position,
        allowWatchBookmarks: true,
        labelSelector: this.o.labelSelector,
        // Like client-go: end streams after 5-10 minutes so that load spreads over API server instances.
        timeoutSeconds: 300 + Math.floor(Math.random() * 300),
      },
      onEvent,
      signal,
    );
    return events;
  }
}

export function createResourceCache<T>(kube: KubeClient, o: ResourceCacheOptions): ResourceCache<T> {
  return new WatchedResourceCache<T>(kube, o);
}
