// NodeInfo and ManagementPod views (docs/api.md §3.1, §3.2).
import { humanAge } from './age.js';

export interface NodeInfo {
  name: string;
  status: 'Ready' | 'NotReady' | 'Unknown';
  roles: string[];
  version: string;
  internalIP: string;
  os: string;
  containerRuntime: string;
  cpu: string;
  memory: string;
  age: string;
}

export interface KubeNode {
  metadata?: { name?: string; labels?: Record<string, string>; creationTimestamp?: string };
  status?: {
    conditions?: { type?: string; status?: string }[];
    nodeInfo?: { kubeletVersion?: string; osImage?: string; containerRuntimeVersion?: string };
    addresses?: { type?: string; address?: string }[];
    capacity?: Record<string, string>;
  };
}

const ROLE_PREFIX = 'node-role.kubernetes.io/';

export function nodeReadiness(node: KubeNode): NodeInfo['status'] {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return 'Ready';
  if (ready?.status === 'False') return 'NotReady';
  return 'Unknown';
}

export function toNodeInfo(node: KubeNode, now = Date.now()): NodeInfo {
  const roles = Object.keys(node.metadata?.labels ?? {})
    .filter((k) => k.startsWith(ROLE_PREFIX) && k.length > ROLE_PREFIX.length)
    .map((k) => k.slice(ROLE_PREFIX.length))
    .sort();
  return {
    name: node.metadata?.name ?? '',
    status: nodeReadiness(node),
    roles: roles.length ? roles : ['worker'],
    version: node.status?.nodeInfo?.kubeletVersion ?? '',
    internalIP: node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '',
    os: node.status?.nodeInfo?.osImage ?? '',
    containerRuntime: node.status?.nodeInfo?.containerRuntimeVersion ?? '',
    cpu: node.status?.capacity?.cpu ?? '',
    memory: node.status?.capacity?.memory ?? '',
    age: humanAge(node.metadata?.creationTimestamp, now),
  };
}

export const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export interface ManagementPod {
  name: string;
  namespace: string;
  age: string;
  status: string;
  ready: string;
  restarts: number;
}

export interface KubePod {
  metadata?: { name?: string; namespace?: string; creationTimestamp?: string; deletionTimestamp?: string };
  spec?: { containers?: unknown[] };
  status?: { phase?: string; containerStatuses?: { ready?: boolean; restartCount?: number }[] };
}

export function toManagementPod(pod: KubePod, now = Date.now()): ManagementPod {
  const statuses = pod.status?.containerStatuses ?? [];
  return {
    name: pod.metadata?.name ?? '',
    namespace: pod.metadata?.namespace ?? '',
    age: humanAge(pod.metadata?.creationTimestamp, now),
    status: pod.metadata?.deletionTimestamp ? 'Terminating' : (pod.status?.phase ?? 'Unknown'),
    ready: `${statuses.filter((s) => s.ready).length}/${pod.spec?.containers?.length ?? 0}`,
    restarts: statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0),
  };
}
