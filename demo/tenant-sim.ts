// A simulator playing one tenant cluster's API server: a control-plane node, N worker nodes (all Ready) and a few
// system pods. Scaling adds or removes worker nodes through the simulator's own REST API.
import { startSimulator, type Simulator } from '../sim/index.js';

export interface TenantSim {
  readonly sim: Simulator;
  readonly kubeconfig: string;
  /** Current worker count. */
  readonly workers: number;
  setWorkers(n: number): Promise<void>;
  stop(): Promise<void>;
}

const REQUEST_TIMEOUT_MS = 5000;

export function nodeObject(name: string, o: { role: 'control-plane' | 'worker'; index: number; version: string }) {
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    [`node-role.kubernetes.io/${o.role}`]: '',
  };
  const octet = (o.role === 'control-plane' ? 10 : 20) + o.index;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels },
    spec: { podCIDR: `10.244.${octet}.0/24` },
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: new Date().toISOString(),
          lastTransitionTime: new Date().toISOString(),
        },
      ],
      addresses: [
        { type: 'InternalIP', address: `10.40.0.${octet}` },
        { type: 'Hostname', address: name },
      ],
      capacity:
        o.role === 'control-plane'
          ? { cpu: '2', memory: '4026532Ki', pods: '110' }
          : { cpu: '4', memory: '8148564Ki', pods: '110' },
      nodeInfo: {
        kubeletVersion: o.version,
        kubeProxyVersion: o.version,
        osImage: 'Talos (v1.8.3)',
        containerRuntimeVersion: 'containerd://2.0.0',
        kernelVersion: '6.6.60-talos',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

/** A Running pod's status with a ready, running container (kubectl shows 1/1 Running). */
export function runningPodStatus(container: string, image: string, startedAt = new Date().toISOString(), restarts = 0) {
  return {
    phase: 'Running',
    conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
      type,
      status: 'True',
      lastTransitionTime: startedAt,
    })),
    startTime: startedAt,
    containerStatuses: [
      { name: container, image, ready: true, started: true, restartCount: restarts, state: { running: { startedAt } } },
    ],
  };
}

function podObject(namespace: string, name: string, image: string, nodeName: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: name.replace(/-[a-z0-9]{5}$/, '') } },
    spec: { nodeName, containers: [{ name: name.replace(/-[a-z0-9]{5}$/, ''), image }] },
    status: runningPodStatus(name.replace(/-[a-z0-9]{5}$/, ''), image),
  };
}

export const workerName = (cluster: string, i: number) => `${cluster}-worker-${i}`;
export const controlPlaneName = (cluster: string) => `${cluster}-cp-1`;

/** Nodes and pods of a fresh tenant cluster. */
export function tenantObjects(cluster: string, workers: number, version: string): object[] {
  const cp = controlPlaneName(cluster);
  const objects: object[] = [nodeObject(cp, { role: 'control-plane', index: 1, version })];
  for (let i = 1; i <= workers; i++)
    objects.push(nodeObject(workerName(cluster, i), { role: 'worker', index: i, version }));
  const firstWorker = workers > 0 ? workerName(cluster, 1) : cp;
  objects.push(
    podObject('kube-system', 'coredns-6f7b9', 'registry.k8s.io/coredns/coredns:v1.11.3', firstWorker),
    podObject('kube-system', 'cilium-operator-7d4c8', 'quay.io/cilium/operator-generic:v1.16.4', cp),
    podObject('kube-system', 'kube-proxy-x2k9p', `registry.k8s.io/kube-proxy:${version}`, firstWorker),
    podObject('default', 'hello-web-5c9d7', 'nginxinc/nginx-unprivileged:1.27', firstWorker),
  );
  return objects;
}

export async function startTenantSim(
  cluster: string,
  workers: number,
  version: string,
  o: { kubeconfigName?: string } = {},
): Promise<TenantSim> {
  // The tenant's API server reports the version the cluster asked for, like its nodes.
  const sim = await startSimulator({
    seed: tenantObjects(cluster, workers, version),
    kubernetesVersion: version,
    name: o.kubeconfigName ?? `${cluster}-admin`,
  });
  let current = workers;

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sim.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    if (!res.ok && res.status !== 404 && res.status !== 409) throw new Error(`${method} ${path}: HTTP ${res.status}`);
  };

  return {
    sim,
    kubeconfig: sim.kubeconfig,
    get workers() {
      return current;
    },
    async setWorkers(n) {
      for (let i = current + 1; i <= n; i++) {
        await call('POST', '/api/v1/nodes', nodeObject(workerName(cluster, i), { role: 'worker', index: i, version }));
      }
      for (let i = current; i > n; i--) await call('DELETE', `/api/v1/nodes/${workerName(cluster, i)}`);
      current = n;
    },
    stop: () => sim.stop(),
  };
}
