// What the demo's management cluster holds at start: namespaces, nodes and system pods, a ButlerConfig, three
// ProviderConfigs with their credentials, an addon catalog, two ManagementAddons and three TenantClusters
// (Ready, Provisioning, Failed).
import { apiUsersRbac, fullAccessRbac } from '../sim/crds.js';
import { DEMO_CLUSTER_TEAMS } from './identity.js';
import { FINALIZER } from './kube-writes.js';
import { adminSecretName, tenantNamespaceFor, type PlatformAddon } from './controller.js';
import type { ProviderCredentials } from './provider-endpoints.js';
import { nodeObject, runningPodStatus } from './tenant-sim.js';

const API_VERSION = 'butler.butlerlabs.dev/v1alpha1';
export const SYSTEM_NAMESPACE = 'butler-system';
export const TENANT_NAMESPACE = 'butler-tenants';
const MANAGED = { 'app.kubernetes.io/managed-by': 'butler' };

export interface SeedOptions {
  /** Kubeconfig of the simulator that plays Harvester. */
  harvesterKubeconfig: string;
  nutanixUrl: string;
  proxmoxUrl: string;
  /** The endpoints use a self-signed certificate. */
  insecure: boolean;
  credentials: ProviderCredentials;
}

const ns = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});

const secret = (name: string, data: Record<string, string>, labels: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  type: 'Opaque',
  metadata: { name, namespace: SYSTEM_NAMESPACE, labels },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});

/** The management cluster's Kubernetes version: its nodes and its API server's /version agree. */
export const MANAGEMENT_VERSION = 'v1.31.3';

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

function pod(namespace: string, name: string, image: string, o: { phase?: string; restarts?: number } = {}) {
  const container = name.replace(/-[a-z0-9]{5,10}(-[a-z0-9]{5})?$/, '');
  const running = (o.phase ?? 'Running') === 'Running';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: container }, creationTimestamp: minutesAgo(60 * 24 * 3) },
    spec: { nodeName: 'mgmt-cp-1', containers: [{ name: container, image }] },
    status: running
      ? runningPodStatus(container, image, minutesAgo(60 * 24 * 3), o.restarts)
      : {
          phase: o.phase,
          containerStatuses: [{ name: container, image, ready: false, restartCount: o.restarts ?? 0 }],
        },
  };
}

interface AddonDef {
  name: string;
  displayName: string;
  description: string;
  category: string;
  icon: string;
  repository: string;
  chart?: string;
  versions: string[];
  namespace: string;
  platform?: boolean;
  dependsOn?: string[];
  docs: string;
}

export const ADDON_CATALOG: AddonDef[] = [
  {
    name: 'cilium',
    displayName: 'Cilium',
    description: 'eBPF-based networking, security and observability (CNI)',
    category: 'cni',
    icon: '🐝',
    repository: 'https://helm.cilium.io',
    versions: ['1.16.4', '1.15.11'],
    namespace: 'kube-system',
    platform: true,
    docs: 'https://docs.cilium.io',
  },
  {
    name: 'metallb',
    displayName: 'MetalLB',
    description: 'Network load balancer for bare-metal clusters',
    category: 'loadbalancer',
    icon: '⚖️',
    repository: 'https://metallb.github.io/metallb',
    versions: ['0.14.8', '0.14.5'],
    namespace: 'metallb-system',
    platform: true,
    docs: 'https://metallb.universe.tf',
  },
  {
    name: 'cert-manager',
    displayName: 'cert-manager',
    description: 'X.509 certificate management for Kubernetes',
    category: 'certmanager',
    icon: '🔐',
    repository: 'https://charts.jetstack.io',
    versions: ['v1.16.2', 'v1.15.4'],
    namespace: 'cert-manager',
    platform: true,
    docs: 'https://cert-manager.io/docs',
  },
  {
    name: 'longhorn',
    displayName: 'Longhorn',
    description: 'Distributed block storage for Kubernetes',
    category: 'storage',
    icon: '💾',
    repository: 'https://charts.longhorn.io',
    versions: ['1.7.2', '1.6.3'],
    namespace: 'longhorn-system',
    dependsOn: ['cert-manager'],
    docs: 'https://longhorn.io/docs',
  },
  {
    name: 'traefik',
    displayName: 'Traefik',
    description: 'Cloud-native ingress controller and reverse proxy',
    category: 'ingress',
    icon: '🚦',
    repository: 'https://traefik.github.io/charts',
    versions: ['33.1.0', '32.1.1'],
    namespace: 'traefik',
    docs: 'https://doc.traefik.io/traefik',
  },
  {
    name: 'flux',
    displayName: 'Flux',
    description: 'GitOps toolkit that keeps clusters in sync with Git',
    category: 'gitops',
    icon: '🔁',
    repository: 'https://fluxcd-community.github.io/helm-charts',
    chart: 'flux2',
    versions: ['2.14.0', '2.13.0'],
    namespace: 'flux-system',
    docs: 'https://fluxcd.io/flux',
  },
  {
    name: 'argocd',
    displayName: 'Argo CD',
    description: 'Declarative GitOps continuous delivery',
    category: 'gitops',
    icon: '🐙',
    repository: 'https://argoproj.github.io/argo-helm',
    chart: 'argo-cd',
    versions: ['7.7.5', '7.6.12'],
    namespace: 'argocd',
    docs: 'https://argo-cd.readthedocs.io',
  },
  {
    name: 'kube-prometheus-stack',
    displayName: 'Prometheus Stack',
    description: 'Prometheus, Alertmanager and Grafana with Kubernetes dashboards',
    category: 'observability',
    icon: '📈',
    repository: 'https://prometheus-community.github.io/helm-charts',
    versions: ['66.2.1', '65.8.1'],
    namespace: 'monitoring',
    docs: 'https://prometheus-operator.dev',
  },
  {
    name: 'velero',
    displayName: 'Velero',
    description: 'Backup and restore of cluster resources and volumes',
    category: 'backup',
    icon: '🛟',
    repository: 'https://vmware-tanzu.github.io/helm-charts',
    versions: ['8.1.0', '7.2.2'],
    namespace: 'velero',
    docs: 'https://velero.io/docs',
  },
  {
    name: 'external-secrets',
    displayName: 'External Secrets',
    description: 'Syncs secrets from external stores such as Vault into Kubernetes',
    category: 'security',
    icon: '🗝️',
    repository: 'https://charts.external-secrets.io',
    versions: ['0.10.7', '0.10.5'],
    namespace: 'external-secrets',
    docs: 'https://external-secrets.io',
  },
];

export const PLATFORM_ADDONS: PlatformAddon[] = ADDON_CATALOG.filter((a) => a.platform).map((a) => ({
  name: a.name,
  version: a.versions[0]!,
}));

function addonDefinition(a: AddonDef) {
  return {
    apiVersion: API_VERSION,
    kind: 'AddonDefinition',
    metadata: { name: a.name, labels: { 'butler.butlerlabs.dev/source': 'builtin' } },
    spec: {
      displayName: a.displayName,
      description: a.description,
      category: a.category,
      icon: a.icon,
      chart: {
        repository: a.repository,
        name: a.chart ?? a.name,
        defaultVersion: a.versions[0],
        availableVersions: a.versions,
      },
      defaults: { namespace: a.namespace, createNamespace: true },
      platform: a.platform === true,
      ...(a.dependsOn ? { dependsOn: a.dependsOn } : {}),
      links: { documentation: a.docs },
    },
  };
}

function cluster(name: string, provider: string, workers: number, version: string, status: Record<string, unknown>) {
  const team = DEMO_CLUSTER_TEAMS[name];
  return {
    apiVersion: API_VERSION,
    kind: 'TenantCluster',
    metadata: {
      name,
      namespace: TENANT_NAMESPACE,
      finalizers: [FINALIZER],
      annotations: { 'butler.butlerlabs.dev/created-by': 'admin' },
      ...(team ? { labels: { 'butler.butlerlabs.dev/team': team } } : {}),
    },
    spec: {
      ...(team ? { teamRef: { name: team } } : {}),
      kubernetesVersion: version,
      providerConfigRef: { name: provider, namespace: SYSTEM_NAMESPACE },
      workers: { replicas: workers, machineTemplate: { cpu: 4, memory: '8Gi', diskSize: '50Gi' } },
    },
    status,
  };
}

const readyCondition = (ok: boolean, reason: string, message: string) => ({
  type: 'Ready',
  status: ok ? 'True' : 'False',
  reason,
  message,
  lastTransitionTime: minutesAgo(ok ? 90 : 20),
});

/** The email the bootstrap admin's session carries (what the server impersonates for it). */
export const BOOTSTRAP_ADMIN_EMAIL = 'admin@butler.local';

export function demoSeed(o: SeedOptions): object[] {
  const creds = o.credentials;
  const providerLabels = (name: string) => ({ ...MANAGED, 'butler.butlerlabs.dev/provider': name });
  const platform = (state: string) =>
    PLATFORM_ADDONS.map((a) => ({ name: a.name, version: a.version, status: state, managedBy: 'butler' }));
  const event = (name: string, cluster: string, type: string, reason: string, message: string, minutes: number) => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: TENANT_NAMESPACE },
    involvedObject: { apiVersion: API_VERSION, kind: 'TenantCluster', name: cluster, namespace: TENANT_NAMESPACE },
    type,
    reason,
    message,
    count: 1,
    firstTimestamp: minutesAgo(minutes),
    lastTimestamp: minutesAgo(minutes),
    source: { component: 'butler-controller' },
  });

  return [
    ns(SYSTEM_NAMESPACE),
    ns(TENANT_NAMESPACE),
    // What users may do when the server writes on their behalf (impersonated), as deploy/ grants it.
    ...apiUsersRbac(),
    // The bootstrap admin may do anything in the management cluster: kubectl through the management proxy is sent
    // as that user (a site binds its platform admins likewise).
    ...fullAccessRbac(BOOTSTRAP_ADMIN_EMAIL, 'demo-platform-admin'),
    ns('kamaji-system'),
    ns('capi-system'),
    ns('cert-manager'),
    ...[1, 2, 3].map((i) => {
      const node = nodeObject(`mgmt-cp-${i}`, { role: 'control-plane', index: i, version: MANAGEMENT_VERSION });
      return { ...node, metadata: { ...node.metadata, creationTimestamp: minutesAgo(60 * 24 * 12) } };
    }),
    pod(SYSTEM_NAMESPACE, 'butler-controller-7c9f8d6b5-k2x8p', 'ghcr.io/butlerdotdev/butler-controller:v0.4.0'),
    pod(SYSTEM_NAMESPACE, 'butler-server-5d8c7b9f4-m7q2w', 'ghcr.io/butlerdotdev/butler-server:v0.1.0'),
    pod('kamaji-system', 'kamaji-6b8f9c7d5-t4n6v', 'clastix/kamaji:v1.0.0'),
    pod(
      'capi-system',
      'capi-controller-manager-8d7f6c5b4-p9r3s',
      'registry.k8s.io/cluster-api/cluster-api-controller:v1.8.5',
    ),
    pod('cert-manager', 'cert-manager-7f9c8b6d5-h5j7k', 'quay.io/jetstack/cert-manager-controller:v1.16.2'),
    pod('kube-system', 'coredns-7db6d8ff4d-2lq9x', 'registry.k8s.io/coredns/coredns:v1.11.3'),
    pod('kube-system', 'metrics-server-6d94bc8694-8vwzd', 'registry.k8s.io/metrics-server/metrics-server:v0.7.2', {
      restarts: 2,
    }),
    {
      apiVersion: API_VERSION,
      kind: 'ButlerConfig',
      metadata: { name: 'butler' },
      spec: {
        defaultNamespace: TENANT_NAMESPACE,
        defaultProviderConfigRef: { name: 'harvester' },
        multiTenancy: { mode: 'Optional' },
        controlPlaneExposure: { mode: 'LoadBalancer' },
        defaultAddonVersions: { cilium: '1.16.4', metallb: '0.14.8', certManager: 'v1.16.2', longhorn: '1.7.2' },
      },
    },
    secret('harvester-credentials', { kubeconfig: o.harvesterKubeconfig }, providerLabels('harvester')),
    secret('nutanix-credentials', creds.nutanix, providerLabels('nutanix')),
    secret('proxmox-credentials', creds.proxmox, providerLabels('proxmox')),
    {
      apiVersion: API_VERSION,
      kind: 'ProviderConfig',
      metadata: { name: 'harvester', namespace: SYSTEM_NAMESPACE, labels: MANAGED },
      spec: {
        provider: 'harvester',
        credentialsRef: { name: 'harvester-credentials', namespace: SYSTEM_NAMESPACE, key: 'kubeconfig' },
        harvester: { namespace: 'default', networkName: 'default/vlan40-workloads', imageName: 'default/talos-1-8' },
      },
    },
    {
      apiVersion: API_VERSION,
      kind: 'ProviderConfig',
      metadata: { name: 'nutanix', namespace: SYSTEM_NAMESPACE, labels: MANAGED },
      spec: {
        provider: 'nutanix',
        credentialsRef: { name: 'nutanix-credentials', namespace: SYSTEM_NAMESPACE },
        nutanix: {
          endpoint: o.nutanixUrl,
          insecure: o.insecure,
          clusterUUID: '0005a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b',
          subnetUUID: '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b',
        },
      },
    },
    {
      apiVersion: API_VERSION,
      kind: 'ProviderConfig',
      metadata: { name: 'proxmox', namespace: SYSTEM_NAMESPACE, labels: MANAGED },
      spec: {
        provider: 'proxmox',
        credentialsRef: { name: 'proxmox-credentials', namespace: SYSTEM_NAMESPACE },
        proxmox: {
          endpoint: o.proxmoxUrl,
          insecure: o.insecure,
          nodes: ['pve1', 'pve2'],
          storage: 'local-lvm',
          templateID: 9000,
        },
      },
    },
    ...ADDON_CATALOG.map(addonDefinition),
    {
      apiVersion: API_VERSION,
      kind: 'ManagementAddon',
      metadata: {
        name: 'kube-prometheus-stack',
        labels: { 'butler.butlerlabs.dev/addon-definition': 'kube-prometheus-stack' },
        finalizers: [FINALIZER],
      },
      spec: { addon: 'kube-prometheus-stack', version: '66.2.1' },
      status: {
        phase: 'Installed',
        installedVersion: '66.2.1',
        message: 'kube-prometheus-stack 66.2.1 is installed',
        helmRelease: {
          name: 'kube-prometheus-stack',
          namespace: 'monitoring',
          revision: 1,
          status: 'deployed',
          version: '66.2.1',
        },
      },
    },
    {
      apiVersion: API_VERSION,
      kind: 'ManagementAddon',
      metadata: { name: 'velero', labels: { 'butler.butlerlabs.dev/addon-definition': 'velero' } },
      spec: { addon: 'velero', version: '8.1.0' },
    },
    cluster('production', 'harvester', 3, 'v1.30.6', {
      phase: 'Ready',
      tenantNamespace: tenantNamespaceFor(TENANT_NAMESPACE, 'production'),
      kubeconfigSecretRef: { name: adminSecretName('production') },
      workerNodesDesired: 3,
      workerNodesReady: 3,
      observedState: { kubernetesVersion: 'v1.30.6', addons: platform('Healthy'), workers: { desired: 3, ready: 3 } },
      conditions: [readyCondition(true, 'ClusterReady', 'control plane and workers are ready')],
    }),
    cluster('staging', 'nutanix', 2, 'v1.31.3', {
      phase: 'Provisioning',
      tenantNamespace: tenantNamespaceFor(TENANT_NAMESPACE, 'staging'),
      conditions: [readyCondition(false, 'Provisioning', 'creating control plane and worker machines')],
    }),
    cluster('legacy', 'proxmox', 2, 'v1.29.10', {
      phase: 'Failed',
      conditions: [
        readyCondition(false, 'ProvisioningFailed', 'no Proxmox node has enough free memory for 2 workers of 8Gi'),
      ],
    }),
    ns(tenantNamespaceFor(TENANT_NAMESPACE, 'production'), { 'butler.butlerlabs.dev/cluster': 'production' }),
    ns(tenantNamespaceFor(TENANT_NAMESPACE, 'staging'), { 'butler.butlerlabs.dev/cluster': 'staging' }),
    {
      apiVersion: API_VERSION,
      kind: 'TenantAddon',
      metadata: {
        name: 'longhorn-production',
        namespace: TENANT_NAMESPACE,
        labels: { 'butler.butlerlabs.dev/cluster': 'production', 'butler.butlerlabs.dev/addon-definition': 'longhorn' },
        finalizers: [FINALIZER],
      },
      spec: { clusterRef: { name: 'production' }, addon: 'longhorn', version: '1.7.2' },
      status: {
        phase: 'Installed',
        installedVersion: '1.7.2',
        helmRelease: {
          name: 'longhorn',
          namespace: 'longhorn-system',
          revision: 1,
          status: 'deployed',
          version: '1.7.2',
        },
      },
    },
    event('production.ready', 'production', 'Normal', 'Ready', 'Cluster is ready with 3 worker node(s)', 90),
    event(
      'staging.provisioning',
      'staging',
      'Normal',
      'Provisioning',
      'Creating hosted control plane and 2 worker machine(s)',
      1,
    ),
    event('legacy.accepted', 'legacy', 'Normal', 'Accepted', 'Cluster accepted; provider proxmox', 25),
    event(
      'legacy.failed',
      'legacy',
      'Warning',
      'ProvisioningFailed',
      'no Proxmox node has enough free memory for 2 workers of 8Gi (pve1: 6Gi free, pve2: 4Gi free)',
      20,
    ),
  ];
}
