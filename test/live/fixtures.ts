// TenantCluster writes and reads straight against the simulator (as the Butler controller or kubectl would).
import type { Simulator } from '../../sim/index.js';

export const GROUP_PATH = '/apis/butler.butlerlabs.dev/v1alpha1';
export const ALL_CLUSTERS = `${GROUP_PATH}/tenantclusters`;
export const clustersIn = (ns: string) => `${GROUP_PATH}/namespaces/${ns}/tenantclusters`;

/** The namespace butler-server stores revocations in (logout needs it). */
export const SYSTEM_NAMESPACE = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'butler-system' } };

export interface SimCluster {
  metadata: { name: string; namespace: string; resourceVersion: string };
  spec: Record<string, unknown>;
}

export class SimApi {
  constructor(private readonly sim: Simulator) {}

  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.sim.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.sim.token}`,
        ...(body === undefined ? {} : { 'content-type': contentType }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async ok<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const r = await this.call<T>(method, path, body, contentType);
    if (r.status >= 300) throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  async namespace(name: string): Promise<void> {
    const r = await this.call('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
    if (r.status >= 300 && r.status !== 409) throw new Error(`namespace ${name}: HTTP ${r.status}`);
  }

  create(ns: string, name: string, replicas = 1, extra: Record<string, string> = {}): Promise<SimCluster> {
    return this.ok('POST', clustersIn(ns), tenantCluster(ns, name, replicas, extra));
  }

  scale(ns: string, name: string, replicas: number): Promise<SimCluster> {
    return this.ok(
      'PATCH',
      `${clustersIn(ns)}/${name}`,
      { spec: { workers: { replicas } } },
      'application/merge-patch+json',
    );
  }

  remove(ns: string, name: string): Promise<SimCluster> {
    return this.ok('DELETE', `${clustersIn(ns)}/${name}`);
  }

  async list(): Promise<{ items: SimCluster[]; resourceVersion: string }> {
    const r = await this.ok<{ items: SimCluster[]; metadata: { resourceVersion: string } }>('GET', ALL_CLUSTERS);
    return { items: r.items, resourceVersion: r.metadata.resourceVersion };
  }

  /** `namespace/name@rv` lines of the simulator's TenantClusters, sorted. */
  async state(): Promise<string[]> {
    const { items } = await this.list();
    return items.map((c) => `${c.metadata.namespace}/${c.metadata.name}@${c.metadata.resourceVersion}`).sort();
  }

  async removeAll(): Promise<void> {
    const { items } = await this.list();
    for (const c of items) await this.call('DELETE', `${clustersIn(c.metadata.namespace)}/${c.metadata.name}`);
  }
}

/** A TenantCluster valid per deploy/crds (kubernetesVersion, workers.replicas, providerConfigRef). */
export function tenantCluster(ns: string, name: string, replicas = 1, annotations: Record<string, string> = {}) {
  return {
    apiVersion: 'butler.butlerlabs.dev/v1alpha1',
    kind: 'TenantCluster',
    metadata: { name, namespace: ns, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: {
      kubernetesVersion: 'v1.30.2',
      providerConfigRef: { name: 'harvester-prod' },
      workers: { replicas },
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
