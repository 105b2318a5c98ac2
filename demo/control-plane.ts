// What Kamaji and the Butler controller keep in the management cluster for a running tenant cluster, as demo objects:
// the TenantControlPlane, the control plane's certificate Secrets (real X.509 certificates made with openssl),
// MachineRequests for its workers and a LoadBalancerRequest for its API endpoint. Also used by the API tests.
import { generateCert, type ServingCert } from '../sim/tls.js';

const BUTLER_API = 'butler.butlerlabs.dev/v1alpha1';
const DAY_MS = 86_400_000;

/** Kamaji's Secret components and the keys it stores certificates under. */
export const CERTIFICATE_COMPONENTS = [
  'api-server-certificate',
  'api-server-kubelet-client-certificate',
  'front-proxy-client-certificate',
  'konnectivity-certificate',
  'datastore-certificate',
  'controller-manager-kubeconfig',
  'scheduler-kubeconfig',
  'admin-kubeconfig',
] as const;
export type CertificateComponent = (typeof CERTIFICATE_COMPONENTS)[number];

export interface CertificateSecretsOptions {
  cluster: string;
  namespace: string;
  /** Validity of the leaf certificates in days (default 365), per component. */
  days?: Partial<Record<CertificateComponent, number>>;
  /** Components left out (the demo's admin kubeconfig Secret already exists). */
  skip?: CertificateComponent[];
  /** The API endpoint's address, a SAN of the API server certificate. */
  endpointIp?: string;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

function secret(
  o: CertificateSecretsOptions,
  component: string,
  data: Record<string, string>,
  extraLabels: Record<string, string> = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: `${o.cluster}-${component}`,
      namespace: o.namespace,
      labels: {
        'kamaji.clastix.io/project': 'kamaji',
        'kamaji.clastix.io/name': o.cluster,
        'kamaji.clastix.io/component': component,
        ...extraLabels,
      },
    },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

function kubeconfig(cluster: string, user: string, cert: ServingCert, ca: ServingCert, endpoint: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${cluster}`,
    '  cluster:',
    `    server: https://${endpoint}`,
    `    certificate-authority-data: ${b64(ca.cert)}`,
    'contexts:',
    `- name: ${user}@${cluster}`,
    '  context:',
    `    cluster: ${cluster}`,
    `    user: ${user}`,
    `current-context: ${user}@${cluster}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    client-certificate-data: ${b64(cert.cert)}`,
    `    client-key-data: ${b64(cert.key)}`,
    '',
  ].join('\n');
}

/** The certificate Secrets of a Kamaji control plane; rejects when openssl is missing. */
export async function certificateSecrets(o: CertificateSecretsOptions): Promise<object[]> {
  const days = (c: CertificateComponent) => o.days?.[c] ?? 365;
  const ip = o.endpointIp ?? '10.0.0.50';
  const [ca, frontProxyCa] = await Promise.all([
    generateCert({ cn: 'kubernetes', days: 3650 }),
    generateCert({ cn: 'front-proxy-ca', days: 3650 }),
  ]);
  const x509 = { 'kamaji.clastix.io/certificate_lifecycle_controller': 'x509' };
  type Leaf = { cn: string; issuer?: ServingCert; subjectAltName?: string; subjectSuffix?: string };
  /** Each component: its certificate and how it is stored. */
  const leaves: Record<CertificateComponent, Leaf & { store: (c: ServingCert) => object }> = {
    'api-server-certificate': {
      cn: 'kube-apiserver',
      subjectAltName: `DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:${o.cluster}.${o.namespace}.svc,IP:${ip},IP:10.96.0.1`,
      store: (c) => secret(o, 'api-server-certificate', { 'apiserver.crt': c.cert, 'apiserver.key': c.key }, x509),
    },
    'api-server-kubelet-client-certificate': {
      cn: 'kube-apiserver-kubelet-client',
      subjectSuffix: '/O=kubeadm:cluster-admins',
      store: (c) =>
        secret(
          o,
          'api-server-kubelet-client-certificate',
          { 'apiserver-kubelet-client.crt': c.cert, 'apiserver-kubelet-client.key': c.key },
          x509,
        ),
    },
    'front-proxy-client-certificate': {
      cn: 'front-proxy-client',
      issuer: frontProxyCa,
      store: (c) =>
        secret(
          o,
          'front-proxy-client-certificate',
          { 'front-proxy-client.crt': c.cert, 'front-proxy-client.key': c.key },
          x509,
        ),
    },
    'konnectivity-certificate': {
      cn: 'system:konnectivity-server',
      store: (c) => ({
        ...secret(o, 'konnectivity-certificate', { 'tls.crt': c.cert, 'tls.key': c.key }, x509),
        type: 'kubernetes.io/tls',
      }),
    },
    'datastore-certificate': {
      cn: o.cluster,
      store: (c) =>
        secret(o, 'datastore-certificate', { 'ca.crt': ca.cert, 'server.crt': c.cert, 'server.key': c.key }, x509),
    },
    'admin-kubeconfig': {
      cn: 'kubernetes-admin',
      subjectSuffix: '/O=kubeadm:cluster-admins',
      store: (c) =>
        secret(o, 'admin-kubeconfig', { 'admin.conf': kubeconfig(o.cluster, 'kubernetes-admin', c, ca, `${ip}:6443`) }),
    },
    'controller-manager-kubeconfig': {
      cn: 'system:kube-controller-manager',
      store: (c) =>
        secret(o, 'controller-manager-kubeconfig', {
          'controller-manager.conf': kubeconfig(o.cluster, 'system:kube-controller-manager', c, ca, `${ip}:6443`),
        }),
    },
    'scheduler-kubeconfig': {
      cn: 'system:kube-scheduler',
      store: (c) =>
        secret(o, 'scheduler-kubeconfig', {
          'scheduler.conf': kubeconfig(o.cluster, 'system:kube-scheduler', c, ca, `${ip}:6443`),
        }),
    },
  };
  const wanted = CERTIFICATE_COMPONENTS.filter((c) => !o.skip?.includes(c));
  const certs = await Promise.all(
    wanted.map((c) => {
      const { store: _store, issuer, ...leaf } = leaves[c];
      return generateCert({ ...leaf, days: days(c), issuer: issuer ?? ca });
    }),
  );
  return [
    secret(o, 'ca', { 'ca.crt': ca.cert, 'ca.key': ca.key }),
    secret(o, 'front-proxy-ca-certificate', {
      'front-proxy-ca.crt': frontProxyCa.cert,
      'front-proxy-ca.key': frontProxyCa.key,
    }),
    secret(o, 'sa-certificate', { 'sa.pub': 'not a certificate', 'sa.key': 'not a certificate' }),
    secret(o, 'datastore-config', { DB_CONNECTION_STRING: 'etcd-0.etcd:2379', DB_SCHEMA: o.cluster }),
    ...wanted.map((c, i) => leaves[c].store(certs[i]!)),
  ];
}

/** The cluster's Kamaji TenantControlPlane with a Ready status. */
export function tenantControlPlane(o: {
  cluster: string;
  namespace: string;
  version: string;
  replicas: number;
  endpointIp: string;
}) {
  return {
    apiVersion: 'kamaji.clastix.io/v1alpha1',
    kind: 'TenantControlPlane',
    metadata: { name: o.cluster, namespace: o.namespace, labels: { 'butler.butlerlabs.dev/cluster': o.cluster } },
    spec: {
      kubernetes: { version: o.version },
      controlPlane: { deployment: { replicas: o.replicas }, service: { serviceType: 'LoadBalancer' } },
      dataStore: 'default',
      addons: { konnectivity: {}, coreDNS: {}, kubeProxy: {} },
    },
    status: {
      controlPlaneEndpoint: `${o.endpointIp}:6443`,
      kubernetesResources: {
        version: { version: o.version, status: 'Ready' },
        deployment: { replicas: o.replicas, readyReplicas: o.replicas, availableReplicas: o.replicas },
        service: {
          name: o.cluster,
          namespace: o.namespace,
          port: 6443,
          loadBalancer: { ingress: [{ ip: o.endpointIp }] },
        },
      },
      storage: { driver: 'etcd', dataStoreName: 'default' },
      addons: { konnectivity: { enabled: true } },
    },
  };
}

/** One MachineRequest per worker, Running with an address, labelled with the cluster. */
export function machineRequests(o: {
  cluster: string;
  namespace: string;
  provider: string;
  workers: number;
  firstIp: number;
  ageMinutes: number;
}) {
  return Array.from({ length: o.workers }, (_, i) => ({
    apiVersion: BUTLER_API,
    kind: 'MachineRequest',
    metadata: {
      name: `${o.cluster}-worker-${i}`,
      namespace: o.namespace,
      labels: { 'butler.butlerlabs.dev/cluster': o.cluster },
      creationTimestamp: new Date(Date.now() - o.ageMinutes * 60_000).toISOString(),
    },
    spec: {
      providerRef: { name: o.provider, namespace: 'butler-system' },
      machineName: `${o.cluster}-worker-${i}`,
      role: 'worker',
      cpu: 4,
      memoryMB: 8192,
      diskGB: 50,
    },
    status: {
      phase: 'Running',
      ipAddress: `10.40.0.${o.firstIp + i}`,
      providerID: `${o.provider}://${o.cluster}-worker-${i}`,
      lastUpdated: new Date(Date.now() - (o.ageMinutes - 5) * 60_000).toISOString(),
    },
  }));
}

/** The LoadBalancerRequest of the cluster's API endpoint. */
export function loadBalancerRequest(o: {
  cluster: string;
  namespace: string;
  provider: string;
  endpointIp: string;
  targets: number;
}) {
  return {
    apiVersion: BUTLER_API,
    kind: 'LoadBalancerRequest',
    metadata: {
      name: `${o.cluster}-control-plane`,
      namespace: o.namespace,
      labels: { 'butler.butlerlabs.dev/cluster': o.cluster },
    },
    spec: { clusterName: o.cluster, providerConfigRef: { name: o.provider, namespace: 'butler-system' }, port: 6443 },
    status: {
      phase: 'Ready',
      endpoint: `${o.endpointIp}:6443`,
      registeredTargets: o.targets,
      lastUpdated: new Date(Date.now() - (30 * DAY_MS) / 1440).toISOString(),
    },
  };
}

/**
 * The demo's control-plane objects for its seeded clusters (see seed.ts): production is running, staging is being
 * provisioned. Their certificate Secrets come separately (demoCertificateSecrets): openssl takes a moment.
 */
export function controlPlaneSeed(o: {
  tenantNamespace: string;
  tenantNamespaceOf: (cluster: string) => string;
}): object[] {
  const stagingMachines = machineRequests({
    cluster: 'staging',
    namespace: o.tenantNamespace,
    provider: 'nutanix',
    workers: 2,
    firstIp: 31,
    ageMinutes: 2,
  }).map((m, i) => (i === 1 ? { ...m, status: { phase: 'Creating' } } : m));
  const stagingLb = loadBalancerRequest({
    cluster: 'staging',
    namespace: o.tenantNamespace,
    provider: 'nutanix',
    endpointIp: '10.40.0.110',
    targets: 0,
  });
  return [
    tenantControlPlane({
      cluster: 'production',
      namespace: o.tenantNamespaceOf('production'),
      version: 'v1.30.6',
      replicas: 1,
      endpointIp: '10.40.0.100',
    }),
    ...machineRequests({
      cluster: 'production',
      namespace: o.tenantNamespace,
      provider: 'harvester',
      workers: 3,
      firstIp: 21,
      ageMinutes: 95,
    }),
    loadBalancerRequest({
      cluster: 'production',
      namespace: o.tenantNamespace,
      provider: 'harvester',
      endpointIp: '10.40.0.100',
      targets: 1,
    }),
    ...stagingMachines,
    { ...stagingLb, status: { phase: 'Creating' } },
  ];
}

/**
 * The certificate Secrets of the demo's production and staging control planes. The demo controller keeps the admin
 * kubeconfig Secret itself (it points at the tenant simulator), so that one is left out.
 */
export async function demoCertificateSecrets(tenantNamespaceOf: (cluster: string) => string): Promise<object[]> {
  const production = await certificateSecrets({
    cluster: 'production',
    namespace: tenantNamespaceOf('production'),
    endpointIp: '10.40.0.100',
    days: { 'konnectivity-certificate': 12, 'front-proxy-client-certificate': 5 },
    skip: ['admin-kubeconfig'],
  });
  const staging = await certificateSecrets({
    cluster: 'staging',
    namespace: tenantNamespaceOf('staging'),
    endpointIp: '10.40.0.110',
    skip: ['admin-kubeconfig'],
  });
  return [...production, ...staging];
}

/** Creates the demo's certificate Secrets in the management simulator, as Kamaji would once a control plane is up. */
export async function seedDemoCertificates(
  management: { url: string; token: string },
  tenantNamespaceOf: (cluster: string) => string,
): Promise<void> {
  for (const s of (await demoCertificateSecrets(tenantNamespaceOf)) as { metadata: { namespace: string } }[]) {
    const res = await fetch(`${management.url}/api/v1/namespaces/${s.metadata.namespace}/secrets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${management.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(s),
    });
    await res.text();
    if (res.status !== 201 && res.status !== 409) throw new Error(`creating a certificate Secret: ${res.status}`);
  }
}
