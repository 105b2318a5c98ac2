// The simulated Butler controller: a client of the management cluster (LIST+WATCH through the shared watch cache,
// writes through KubeClient) that makes the demo live. TenantClusters go Pending → Provisioning → Installing → Ready
// with Events at each step, get a tenant namespace, an admin kubeconfig Secret pointing at a fresh tenant simulator
// and their platform addons; scaling changes the tenant's nodes; deleting goes through Deleting and stops the
// tenant simulator. TenantAddons and ManagementAddons are installed by demo/addon-controller.ts.
import { createResourceCache, type CacheLogger, type ResourceCache } from '../src/kube/cache.js';
import type { KubeClient } from '../src/kube/client.js';
import { startAddonControllers, type AddonTiming } from './addon-controller.js';
import {
  condition,
  deleteNamespace,
  ensureNamespace,
  FINALIZER,
  patchStatus,
  putSecret,
  recordEvent,
  setFinalizer,
  BUTLER_API,
  type ButlerObject,
} from './kube-writes.js';
import { startTenantSim, type TenantSim } from './tenant-sim.js';
import { createWorkQueue } from './work-queue.js';

export interface ControllerTiming extends AddonTiming {
  /** Each of Pending → Provisioning → Installing → Ready. */
  clusterStepMs: number;
  /** Updating → Ready after a scale. */
  scaleMs: number;
  /** Deleting → gone. */
  deleteMs: number;
}

/** About 24 s from create to Ready. */
export const DEMO_TIMING: ControllerTiming = { clusterStepMs: 8000, scaleMs: 3000, deleteMs: 4000, addonStepMs: 4000 };

export interface PlatformAddon {
  name: string;
  version: string;
}

export interface ControllerOptions {
  kube: KubeClient;
  logger: CacheLogger;
  timing?: Partial<ControllerTiming>;
  /** Installed on every tenant cluster and reported in status.observedState.addons. */
  platformAddons: PlatformAddon[];
}

export interface DemoController {
  /** Adopts existing clusters (Ready ones get their tenant simulator) and starts watching. */
  start(): Promise<void>;
  /** The tenant simulator of a cluster, while it has one. */
  tenant(namespace: string, name: string): TenantSim | undefined;
  /** Resolves when no reconcile is queued or running (steps waiting on timers do not count). */
  idle(): Promise<void>;
  /** Stops watches, timers and every tenant simulator. */
  stop(): Promise<void>;
}

type TenantCluster = ButlerObject;

const TENANT_CLUSTERS = 'tenantclusters';
const KIND = 'TenantCluster';
const SYNC_TIMEOUT_MS = 10_000;

export function tenantNamespaceFor(namespace: string, name: string): string {
  return `tc-${namespace === 'butler-tenants' ? name : `${namespace}-${name}`}`.slice(0, 63).replace(/-+$/, '');
}

export const adminSecretName = (cluster: string) => `${cluster}-admin-kubeconfig`;

export function createDemoController(o: ControllerOptions): DemoController {
  const timing: ControllerTiming = { ...DEMO_TIMING, ...o.timing };
  const { kube, logger } = o;
  const tenants = new Map<string, TenantSim>();
  const starting = new Map<string, Promise<TenantSim>>();
  const queue = createWorkQueue((key, err) => logger.warn({ err, key }, 'demo controller: reconcile failed'));
  let stopped = false;
  const cache: ResourceCache<TenantCluster> = createResourceCache<TenantCluster>(kube, {
    path: `${BUTLER_API}/${TENANT_CLUSTERS}`,
    name: 'demo-controller-tenantclusters',
    logger,
  });
  const addons = startAddonControllers({ kube, logger, timing });

  const keyOf = (tc: TenantCluster) => `${tc.metadata.namespace}/${tc.metadata.name}`;
  const current = (key: string) => {
    const [ns, name] = key.split('/') as [string, string];
    return cache.get(ns, name);
  };
  const desiredWorkers = (tc: TenantCluster): number => Number(tc.spec?.workers?.replicas ?? 1);
  const event = (tc: TenantCluster, reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal') =>
    recordEvent(kube, KIND, tc.metadata, type, reason, message);
  const status = (tc: TenantCluster, s: Record<string, unknown>) =>
    patchStatus(kube, TENANT_CLUSTERS, tc.metadata, {
      observedGeneration: tc.metadata.generation,
      lastTransitionTime: new Date().toISOString(),
      ...s,
    });

  const platformAddons = (state: 'Installing' | 'Healthy') =>
    o.platformAddons.map((a) => ({ name: a.name, version: a.version, status: state, managedBy: 'butler' }));

  /** Starts the cluster's tenant simulator (once) and writes its admin kubeconfig Secret. */
  async function ensureTenant(tc: TenantCluster, tenantNs: string): Promise<TenantSim> {
    const key = keyOf(tc);
    const existing = tenants.get(key);
    if (existing) return existing;
    let pending = starting.get(key);
    if (!pending) {
      pending = startTenantSim(tc.metadata.name, desiredWorkers(tc), tc.spec?.kubernetesVersion ?? 'v1.30.2', {
        kubeconfigName: `${tc.metadata.namespace}-${tc.metadata.name}-admin`,
      });
      starting.set(key, pending);
    }
    const sim = await pending.finally(() => starting.delete(key));
    if (stopped) {
      await sim.stop();
      throw new Error('controller stopped');
    }
    tenants.set(key, sim);
    await ensureNamespace(kube, tenantNs, { 'butler.butlerlabs.dev/cluster': tc.metadata.name });
    await putSecret(
      kube,
      tenantNs,
      adminSecretName(tc.metadata.name),
      { 'admin.conf': sim.kubeconfig, value: sim.kubeconfig },
      { 'butler.butlerlabs.dev/cluster': tc.metadata.name, 'app.kubernetes.io/managed-by': 'butler' },
    );
    return sim;
  }

  async function stopTenant(key: string): Promise<void> {
    const sim = tenants.get(key);
    tenants.delete(key);
    await sim?.stop();
  }

  const workers = (desired: number, ready: number) => ({
    workerNodesDesired: desired,
    workerNodesReady: ready,
  });

  /** Level-based: looks at the cluster as it is now and takes the next step (or schedules it). */
  async function reconcile(key: string): Promise<void> {
    const tc = current(key);
    if (!tc) return stopTenant(key);
    const phase: string | undefined = tc.status?.phase;
    const tenantNs: string = tc.status?.tenantNamespace || tenantNamespaceFor(tc.metadata.namespace!, tc.metadata.name);

    if (tc.metadata.deletionTimestamp) {
      if (phase !== 'Deleting') {
        await status(tc, {
          phase: 'Deleting',
          conditions: [condition('Ready', false, 'Deleting', 'cluster is being deleted')],
        });
        await event(tc, 'Deleting', 'Deleting worker machines, control plane and tenant namespace');
      }
      queue.after(key, 'delete', timing.deleteMs, async () => {
        const latest = current(key);
        if (!latest?.metadata.deletionTimestamp) return;
        await stopTenant(key);
        await deleteNamespace(kube, tenantNs);
        await setFinalizer(kube, TENANT_CLUSTERS, latest.metadata, false);
      });
      return;
    }
    if (!(tc.metadata.finalizers ?? []).includes(FINALIZER)) {
      // The finalizer's own MODIFIED event brings us back here.
      await setFinalizer(kube, TENANT_CLUSTERS, tc.metadata, true);
      return;
    }

    const step = (from: string, ms: number, fn: (latest: TenantCluster) => Promise<void>) =>
      queue.after(key, from, ms, async () => {
        const latest = current(key);
        if (latest && !latest.metadata.deletionTimestamp && latest.status?.phase === from) await fn(latest);
      });

    switch (phase) {
      case undefined:
      case '':
        await status(tc, {
          phase: 'Pending',
          conditions: [condition('Ready', false, 'Pending', 'waiting for the provider to accept the cluster')],
        });
        await event(tc, 'Accepted', `Cluster accepted; provider ${tc.spec?.providerConfigRef?.name ?? 'default'}`);
        return;
      case 'Pending':
        return step('Pending', timing.clusterStepMs, async (latest) => {
          await ensureNamespace(kube, tenantNs, { 'butler.butlerlabs.dev/cluster': latest.metadata.name });
          await status(latest, {
            phase: 'Provisioning',
            tenantNamespace: tenantNs,
            conditions: [condition('Ready', false, 'Provisioning', 'creating control plane and worker machines')],
          });
          await event(
            latest,
            'Provisioning',
            `Creating hosted control plane and ${desiredWorkers(latest)} worker machine(s) in namespace ${tenantNs}`,
          );
        });
      case 'Provisioning':
        return step('Provisioning', timing.clusterStepMs, async (latest) => {
          const sim = await ensureTenant(latest, tenantNs);
          await status(latest, {
            phase: 'Installing',
            tenantNamespace: tenantNs,
            // The address its kubeconfig uses (https), not the simulator's plain-HTTP side door.
            controlPlaneEndpoint: sim.sim.serverUrl,
            kubeconfigSecretRef: { name: adminSecretName(latest.metadata.name) },
            ...workers(desiredWorkers(latest), 0),
            observedState: {
              kubernetesVersion: latest.spec?.kubernetesVersion,
              addons: platformAddons('Installing'),
              workers: { desired: desiredWorkers(latest), ready: 0 },
            },
            conditions: [condition('Ready', false, 'InstallingAddons', 'installing platform addons')],
          });
          await event(
            latest,
            'ControlPlaneReady',
            `Control plane is up; installing ${o.platformAddons.map((a) => a.name).join(', ')}`,
          );
        });
      case 'Installing':
        return step('Installing', timing.clusterStepMs, async (latest) => {
          const sim = await ensureTenant(latest, tenantNs);
          await status(latest, readyStatus(latest, sim.workers));
          await event(latest, 'Ready', `Cluster is ready with ${sim.workers} worker node(s)`);
        });
      case 'Ready': {
        const sim = await ensureTenant(tc, tenantNs);
        if (sim.workers !== desiredWorkers(tc)) {
          await status(tc, {
            phase: 'Updating',
            conditions: [condition('Ready', true, 'Scaling', `scaling workers to ${desiredWorkers(tc)}`)],
          });
          await event(tc, 'Scaling', `Scaling workers from ${sim.workers} to ${desiredWorkers(tc)}`);
        } else if (!tc.status?.kubeconfigSecretRef || tc.status?.controlPlaneEndpoint !== sim.sim.serverUrl) {
          // A cluster that was Ready before the controller started (the seed) gets its endpoint and Secret here.
          await status(tc, readyStatus(tc, sim.workers));
        }
        return;
      }
      case 'Updating':
        return step('Updating', timing.scaleMs, async (latest) => {
          const sim = await ensureTenant(latest, tenantNs);
          const before = sim.workers;
          await sim.setWorkers(desiredWorkers(latest));
          await status(latest, readyStatus(latest, sim.workers));
          await event(latest, 'Scaled', `Workers scaled from ${before} to ${sim.workers}`);
        });
      default:
        // Failed (and anything unknown) waits for a person.
        return;
    }
  }

  function readyStatus(tc: TenantCluster, ready: number): Record<string, unknown> {
    const tenantNs = tc.status?.tenantNamespace || tenantNamespaceFor(tc.metadata.namespace!, tc.metadata.name);
    const sim = tenants.get(keyOf(tc));
    return {
      phase: 'Ready',
      tenantNamespace: tenantNs,
      ...(sim ? { controlPlaneEndpoint: sim.sim.serverUrl } : {}),
      kubeconfigSecretRef: { name: adminSecretName(tc.metadata.name) },
      ...workers(desiredWorkers(tc), ready),
      observedState: {
        kubernetesVersion: tc.spec?.kubernetesVersion,
        addons: platformAddons('Healthy'),
        workers: { desired: desiredWorkers(tc), ready },
      },
      conditions: [condition('Ready', true, 'ClusterReady', 'control plane and workers are ready')],
    };
  }

  let unsubscribe: (() => void) | undefined;
  return {
    async start() {
      cache.start();
      if (!(await cache.waitForSync(SYNC_TIMEOUT_MS))) throw new Error('demo controller: TenantClusters did not sync');
      const reconcileAll = () => {
        for (const tc of cache.list()) queue.enqueue(keyOf(tc), () => reconcile(keyOf(tc)));
      };
      unsubscribe = cache.subscribe((signal) => {
        if (signal.type === 'RESYNC') return reconcileAll();
        const key = keyOf(signal.object);
        queue.enqueue(key, () => reconcile(key));
      });
      // Adopt what exists before serving: Ready clusters get their tenant simulator and kubeconfig Secret now.
      reconcileAll();
      await queue.idle();
      await addons.start();
    },
    tenant: (namespace, name) => tenants.get(`${namespace}/${name}`),
    async idle() {
      await queue.idle();
      await addons.idle();
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      cache.stop();
      await addons.stop();
      await queue.stop();
      await Promise.allSettled([...starting.values()].map(async (p) => (await p).stop()));
      await Promise.all([...tenants.keys()].map((key) => stopTenant(key)));
    },
  };
}
