// The simulated controller's addon part: TenantAddons and ManagementAddons go Pending → Installing → Installed,
// a version change goes through Upgrading, and a delete goes through Deleting / Uninstalling (finalizer).
import { createResourceCache, type CacheLogger, type ResourceCache } from '../src/kube/cache.js';
import type { KubeClient } from '../src/kube/client.js';
import {
  BUTLER_API,
  condition,
  FINALIZER,
  patchStatus,
  recordEvent,
  setFinalizer,
  type ButlerObject,
} from './kube-writes.js';
import { createWorkQueue, type WorkQueue } from './work-queue.js';

export interface AddonTiming {
  /** Each of Pending → Installing → Installed (and Upgrading, Deleting). */
  addonStepMs: number;
}

interface AddonKind {
  resource: string;
  kind: string;
  deletingPhase: string;
  /** Records Events (namespaced kinds only; cluster-scoped ones have no namespace to put them in). */
  events: boolean;
}

const KINDS: AddonKind[] = [
  { resource: 'tenantaddons', kind: 'TenantAddon', deletingPhase: 'Deleting', events: true },
  { resource: 'managementaddons', kind: 'ManagementAddon', deletingPhase: 'Uninstalling', events: false },
];

const SYNC_TIMEOUT_MS = 10_000;

export interface AddonControllers {
  start(): Promise<void>;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

function releaseOf(addon: ButlerObject, version: string, revision: number) {
  const name: string = addon.spec?.helm?.releaseName ?? addon.spec?.addon ?? addon.metadata.name;
  const namespace: string = addon.spec?.helm?.namespace ?? name;
  return { name, namespace, revision, status: 'deployed', version };
}

function watchKind(o: { kube: KubeClient; logger: CacheLogger; timing: AddonTiming }, k: AddonKind) {
  const { kube, timing } = o;
  const cache: ResourceCache<ButlerObject> = createResourceCache<ButlerObject>(kube, {
    path: `${BUTLER_API}/${k.resource}`,
    name: `demo-controller-${k.resource}`,
    logger: o.logger,
  });
  const queue: WorkQueue = createWorkQueue((key, err) =>
    o.logger.warn({ err, key }, `demo controller: ${k.kind} reconcile failed`),
  );
  const keyOf = (a: ButlerObject) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`;
  const current = (key: string) => {
    const [ns, name] = key.split('/') as [string, string];
    return cache.get(ns === '' ? undefined : ns, name);
  };
  const event = async (a: ButlerObject, reason: string, message: string) => {
    if (k.events) await recordEvent(kube, k.kind, a.metadata, 'Normal', reason, message);
  };
  const status = (a: ButlerObject, s: Record<string, unknown>) =>
    patchStatus(kube, k.resource, a.metadata, { observedGeneration: a.metadata.generation, ...s });

  async function reconcile(key: string): Promise<void> {
    const a = current(key);
    if (!a) return;
    const phase: string | undefined = a.status?.phase;
    const version: string = a.spec?.version ?? '';
    const label = a.spec?.addon ?? a.spec?.helm?.chart ?? a.metadata.name;
    const step = (from: string, fn: (latest: ButlerObject) => Promise<void>) =>
      queue.after(key, from, timing.addonStepMs, async () => {
        const latest = current(key);
        if (latest && latest.status?.phase === from) await fn(latest);
      });

    if (a.metadata.deletionTimestamp) {
      if (!(a.metadata.finalizers ?? []).includes(FINALIZER)) return;
      if (phase !== k.deletingPhase) {
        await status(a, { phase: k.deletingPhase, message: `uninstalling ${label}` });
        await event(a, 'Uninstalling', `Uninstalling Helm release ${releaseOf(a, version, 1).name}`);
        return;
      }
      return step(k.deletingPhase, (latest) => setFinalizer(kube, k.resource, latest.metadata, false));
    }
    if (!(a.metadata.finalizers ?? []).includes(FINALIZER)) {
      await setFinalizer(kube, k.resource, a.metadata, true);
      return;
    }
    switch (phase) {
      case undefined:
      case '':
        await status(a, { phase: 'Pending', message: 'waiting to be scheduled' });
        return;
      case 'Pending':
        return step('Pending', async (latest) => {
          await status(latest, {
            phase: 'Installing',
            lastAttemptedVersion: k.resource === 'managementaddons' ? version : undefined,
            message: `installing ${label} ${version}`,
          });
          await event(latest, 'Installing', `Installing ${label} ${version}`);
        });
      case 'Installing':
      case 'Upgrading':
        return step(phase, async (latest) => {
          const v: string = latest.spec?.version ?? '';
          const revision = Number(latest.status?.helmRelease?.revision ?? 0) + 1;
          await status(latest, {
            phase: 'Installed',
            installedVersion: v,
            message: `${label} ${v} is installed`,
            helmRelease: releaseOf(latest, v, revision),
            conditions: [condition('Ready', true, 'Installed', `Helm release deployed (revision ${revision})`)],
          });
          await event(latest, 'Installed', `${label} ${v} installed (revision ${revision})`);
        });
      case 'Installed':
        if ((a.status?.observedGeneration ?? 0) < (a.metadata.generation ?? 0)) {
          await status(a, { phase: 'Upgrading', message: `applying ${label} ${version}` });
          await event(a, 'Upgrading', `Applying ${label} ${version}`);
        }
        return;
      default:
        return;
    }
  }

  let unsubscribe: (() => void) | undefined;
  return {
    async start() {
      cache.start();
      if (!(await cache.waitForSync(SYNC_TIMEOUT_MS))) throw new Error(`demo controller: ${k.resource} did not sync`);
      const reconcileAll = () => {
        for (const a of cache.list()) queue.enqueue(keyOf(a), () => reconcile(keyOf(a)));
      };
      unsubscribe = cache.subscribe((signal) => {
        if (signal.type === 'RESYNC') return reconcileAll();
        const key = keyOf(signal.object);
        queue.enqueue(key, () => reconcile(key));
      });
      reconcileAll();
    },
    idle: () => queue.idle(),
    async stop() {
      unsubscribe?.();
      cache.stop();
      await queue.stop();
    },
  };
}

export function startAddonControllers(o: {
  kube: KubeClient;
  logger: CacheLogger;
  timing: AddonTiming;
}): AddonControllers {
  const kinds = KINDS.map((k) => watchKind(o, k));
  return {
    async start() {
      await Promise.all(kinds.map((k) => k.start()));
    },
    async idle() {
      await Promise.all(kinds.map((k) => k.idle()));
    },
    async stop() {
      await Promise.all(kinds.map((k) => k.stop()));
    },
  };
}
