// What Kamaji and the Butler controller keep in the management cluster for a running tenant cluster, as demo objects:
// the TenantControlPlane, the control plane's certificate Secrets (real X.509 certificates made with openssl),
// MachineRequests for its workers and a LoadBalancerRequest for its API endpoint. Also used by the API tests.
import { generateSelfSignedCert, type ServingCert } from '../sim/tls.js';

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

/** The certificate Secrets of a Kamaji control plane; throws when openssl is missing. */
export function certificateSecrets(o: CertificateSecretsOptions): object[] {
  const days = (c: CertificateComponent) => o.days?.[c] ?? 365;
  const want = (c: CertificateComponent) => !o.skip?.includes(c);
  const endpoint = `${o.endpointIp ?? '10.0.0.50'}:6443`;
  const ca = generateSelfSignedCert({ cn: 'kubernetes', days: 3650 });
  const frontProxyCa = generateSelfSignedCert({ cn: 'front-proxy-ca', days: 3650 });
  const leaf = (
    cn: string,
    c: CertificateComponent,
    issuer = ca,
    extra: { subjectAltName?: string; subjectSuffix?: string } = {},
  ) => generateSelfSignedCert({ cn, days: days(c), issuer, ...extra });
  const x509 = { 'kamaji.clastix.io/certificate_lifecycle_controller': 'x509' };
  const out: object[] = [
    secret(o, 'ca', { 'ca.crt': ca.cert, 'ca.key': ca.key }),
    secret(o, 'front-proxy-ca-certificate', {
      'front-proxy-ca.crt': frontProxyCa.cert,
      'front-proxy-ca.key': frontProxyCa.key,
    }),
    secret(o, 'sa-certificate', { 'sa.pub': 'not a certificate', 'sa.key': 'not a certificate' }),
    secret(o, 'datastore-config', { DB_CONNECTION_STRING: 'etcd-0.etcd:2379', DB_SCHEMA: o.cluster }),
  ];
  if (want('api-server-certificate')) {
    const c = leaf('kube-apiserver', 'api-server-certificate', ca, {
      subjectAltName: `DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:${o.cluster}.${o.namespace}.svc,IP:${o.endpointIp ?? '10.0.0.50'},IP:10.96.0.1`,
    });
    out.push(secret(o, 'api-server-certificate', { 'apiserver.crt': c.cert, 'apiserver.key': c.key }, x509));
  }
  if (want('api-server-kubelet-client-certificate')) {
    const c = leaf('kube-apiserver-kubelet-client', 'api-server-kubelet-client-certificate', ca, {
      subjectSuffix: '/O=kubeadm:cluster-admins',
    });
    out.push(
      secret(
        o,
        'api-server-kubelet-client-certificate',
        { 'apiserver-kubelet-client.crt': c.cert, 'apiserver-kubelet-client.key': c.key },
        x509,
      ),
    );
  }
  if (want('front-proxy-client-certificate')) {
    const c = leaf('front-proxy-client', 'front-proxy-client-certificate', frontProxyCa);
    out.push(
      secret(
        o,
        'front-proxy-client-certificate',
        { 'front-proxy-client.crt': c.cert, 'front-proxy-client.key': c.key },
        x509,
      ),
    );
  }
  if (want('konnectivity-certificate')) {
    const c = leaf('system:konnectivity-server', 'konnectivity-certificate');
    out.push({
      ...secret(o, 'konnectivity-certificate', { 'tls.crt': c.cert, 'tls.key': c.key }, x509),
      type: 'kubernetes.io/tls',
    });
  }
  if (want('datastore-certificate')) {
    const c = leaf(o.cluster, 'datastore-certificate');
    out.push(
      secret(o, 'datastore-certificate', { 'ca.crt': ca.cert, 'server.crt': c.cert, 'server.key': c.key }, x509),
    );
  }
  const kubeconfigs: [CertificateComponent, string, string, string][] = [
    ['admin-kubeconfig', 'admin.conf', 'kubernetes-admin', '/O=kubeadm:cluster-admins'],
    ['controller-manager-kubeconfig', 'controller-manager.conf', 'system:kube-controller-manager', ''],
    ['scheduler-kubeconfig', 'scheduler.conf', 'system:kube-scheduler', ''],
  ];
  for (const [component, key, cn, suffix] of kubeconfigs) {
    if (!want(component)) continue;
    const c = leaf(cn, component, ca, { subjectSuffix: suffix });
    out.push(secret(o, component, { [key]: kubeconfig(o.cluster, cn, c, ca, endpoint) }));
  }
  return out;
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
