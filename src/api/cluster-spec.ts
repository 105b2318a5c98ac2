// Builds the TenantCluster object of POST /api/clusters (docs/api.md §3.1): one override block, chosen by the
// ProviderConfig's spec.provider; fields of other provider types are ignored.
import { badRequest, invalidFields, type FieldError } from '../http/errors.js';
import { parseIp } from '../net/ip.js';
import { BUTLER_API_VERSION } from './kube-helpers.js';

export interface CreateClusterRequest {
  name: string;
  namespace?: string;
  kubernetesVersion?: string;
  providerConfigRef: string;
  workerReplicas?: number;
  workerCPU?: number;
  workerMemory?: string;
  workerDiskSize?: string;
  loadBalancerStart?: string;
  loadBalancerEnd?: string;
  harvesterNamespace?: string;
  harvesterNetworkName?: string;
  harvesterImageName?: string;
  nutanixClusterUUID?: string;
  nutanixSubnetUUID?: string;
  nutanixImageUUID?: string;
  nutanixStorageContainerUUID?: string;
  proxmoxNode?: string;
  proxmoxStorage?: string;
  proxmoxTemplateID?: number;
}

export interface ResolvedProvider {
  name: string;
  namespace: string;
  spec?: { provider?: string; harvester?: { networkName?: string } };
}

export const DEFAULTS = { kubernetesVersion: 'v1.30.2', replicas: 1, cpu: 4, memory: '8Gi', diskSize: '50Gi' };

/** Cross-field rules of §4 the schema cannot express: the load-balancer range. */
export function checkLoadBalancerRange(body: CreateClusterRequest): FieldError[] {
  const { loadBalancerStart: start, loadBalancerEnd: end } = body;
  if (start === undefined && end === undefined) return [];
  if (start === undefined)
    return [{ field: 'loadBalancerStart', message: 'is required when loadBalancerEnd is given' }];
  if (end === undefined) return [{ field: 'loadBalancerEnd', message: 'is required when loadBalancerStart is given' }];
  const a = parseIp(start);
  const b = parseIp(end);
  if (!a || !b) return [];
  if (a.family !== b.family)
    return [
      { field: 'loadBalancerEnd', message: 'loadBalancerStart and loadBalancerEnd must both be IPv4 or both IPv6' },
    ];
  if (b.value < a.value) return [{ field: 'loadBalancerEnd', message: 'must not be lower than loadBalancerStart' }];
  return [];
}

function compact<T extends Record<string, unknown>>(o: T): Partial<T> | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return Object.keys(out).length ? (out as Partial<T>) : undefined;
}

export function buildInfrastructureOverride(body: CreateClusterRequest, provider: ResolvedProvider) {
  switch (provider.spec?.provider) {
    case 'harvester': {
      if (!provider.spec.harvester?.networkName && !body.harvesterNetworkName)
        throw badRequest(`harvesterNetworkName is required: ProviderConfig "${provider.name}" has no default network`, {
          field: 'harvesterNetworkName',
        });
      if (!body.harvesterNetworkName && !body.harvesterImageName) return undefined;
      const harvester = compact({
        networkName: body.harvesterNetworkName,
        imageName: body.harvesterImageName,
        namespace: body.harvesterNamespace,
      });
      return { harvester };
    }
    case 'nutanix': {
      const nutanix = compact({
        clusterUUID: body.nutanixClusterUUID,
        subnetUUID: body.nutanixSubnetUUID,
        imageUUID: body.nutanixImageUUID,
        storageContainerUUID: body.nutanixStorageContainerUUID,
      });
      return nutanix ? { nutanix } : undefined;
    }
    case 'proxmox': {
      const proxmox = compact({
        node: body.proxmoxNode,
        storage: body.proxmoxStorage,
        templateID: body.proxmoxTemplateID,
      });
      return proxmox ? { proxmox } : undefined;
    }
    default:
      return undefined;
  }
}

export function buildTenantCluster(
  body: CreateClusterRequest,
  namespace: string,
  provider: ResolvedProvider,
  annotations: Record<string, string>,
) {
  const errors = checkLoadBalancerRange(body);
  if (errors.length) throw invalidFields(errors);
  const spec: Record<string, unknown> = {
    kubernetesVersion: body.kubernetesVersion ?? DEFAULTS.kubernetesVersion,
    providerConfigRef:
      provider.namespace === namespace
        ? { name: provider.name }
        : { name: provider.name, namespace: provider.namespace },
    workers: {
      replicas: body.workerReplicas ?? DEFAULTS.replicas,
      machineTemplate: {
        cpu: body.workerCPU ?? DEFAULTS.cpu,
        memory: body.workerMemory ?? DEFAULTS.memory,
        diskSize: body.workerDiskSize ?? DEFAULTS.diskSize,
      },
    },
  };
  if (body.loadBalancerStart && body.loadBalancerEnd)
    spec.networking = { loadBalancerPool: { start: body.loadBalancerStart, end: body.loadBalancerEnd } };
  const override = buildInfrastructureOverride(body, provider);
  if (override) spec.infrastructureOverride = override;
  return {
    apiVersion: BUTLER_API_VERSION,
    kind: 'TenantCluster',
    metadata: { name: body.name, namespace, annotations },
    spec,
  };
}
