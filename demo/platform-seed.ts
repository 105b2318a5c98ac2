// Demo objects of the platform pages: NetworkPools and IPAllocations (with the status an IPAM controller would
// write) for the seeded clusters. The ButlerConfig "butler" is part of demo/seed.ts.
const API_VERSION = 'butler.butlerlabs.dev/v1alpha1';
const NAMESPACE = 'butler-system';
const CLUSTER_NAMESPACE = 'butler-tenants';

const condition = (status: 'True' | 'False', reason: string, message: string) => ({
  type: 'Ready',
  status,
  reason,
  message,
  lastTransitionTime: '2026-01-05T10:00:00Z',
});

function pool(name: string, cidr: string, spec: Record<string, unknown>, status: Record<string, unknown>) {
  return {
    apiVersion: API_VERSION,
    kind: 'NetworkPool',
    metadata: { name, namespace: NAMESPACE },
    spec: { cidr, ...spec },
    status: { ...status, conditions: [condition('True', 'PoolReady', 'pool is ready')] },
  };
}

function allocation(
  name: string,
  poolName: string,
  cluster: string,
  type: 'nodes' | 'loadbalancer',
  count: number,
  status: { phase: string; startAddress?: string; endAddress?: string; cidr?: string },
) {
  const allocated = status.phase === 'Allocated';
  return {
    apiVersion: API_VERSION,
    kind: 'IPAllocation',
    metadata: { name, namespace: NAMESPACE, labels: { 'butler.butlerlabs.dev/cluster': cluster } },
    spec: {
      poolRef: { name: poolName },
      tenantClusterRef: { name: cluster, namespace: CLUSTER_NAMESPACE },
      type,
      count,
    },
    status: {
      ...status,
      ...(allocated ? { allocatedCount: count, allocatedAt: '2026-01-05T10:02:00Z', allocatedBy: 'butler-ipam' } : {}),
      conditions: [
        allocated
          ? condition('True', 'Allocated', `${count} address(es) allocated`)
          : condition('False', 'Pending', 'waiting for free addresses'),
      ],
    },
  };
}

export function platformSeed(): object[] {
  return [
    pool(
      'lab-vlan40',
      '10.40.0.0/24',
      {
        reserved: [{ cidr: '10.40.0.0/28', description: 'gateways and infrastructure' }],
        tenantAllocation: {
          start: '10.40.0.32',
          end: '10.40.0.250',
          defaults: { nodesPerTenant: 5, lbPoolPerTenant: 8 },
        },
      },
      {
        totalIPs: 219,
        allocatedIPs: 21,
        availableIPs: 198,
        allocationCount: 3,
        fragmentationPercent: 4,
        largestFreeBlock: 160,
      },
    ),
    pool(
      'edge-vlan60',
      '10.60.8.0/22',
      { tenantAllocation: { ranges: [{ start: '10.60.8.10', end: '10.60.11.250' }] } },
      {
        totalIPs: 1001,
        allocatedIPs: 0,
        availableIPs: 1001,
        allocationCount: 0,
        fragmentationPercent: 0,
        largestFreeBlock: 1001,
      },
    ),
    allocation('production-nodes', 'lab-vlan40', 'production', 'nodes', 5, {
      phase: 'Allocated',
      startAddress: '10.40.0.32',
      endAddress: '10.40.0.36',
      cidr: '10.40.0.32/29',
    }),
    allocation('production-lb', 'lab-vlan40', 'production', 'loadbalancer', 8, {
      phase: 'Allocated',
      startAddress: '10.40.0.40',
      endAddress: '10.40.0.47',
      cidr: '10.40.0.40/29',
    }),
    allocation('staging-nodes', 'lab-vlan40', 'staging', 'nodes', 8, {
      phase: 'Allocated',
      startAddress: '10.40.0.48',
      endAddress: '10.40.0.55',
      cidr: '10.40.0.48/29',
    }),
    allocation('staging-lb', 'lab-vlan40', 'staging', 'loadbalancer', 8, { phase: 'Pending' }),
  ];
}
