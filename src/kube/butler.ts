// Butler's API group and version, and every Kubernetes path the server uses: defined here once.

export const BUTLER_GROUP = 'butler.butlerlabs.dev';
export const BUTLER_VERSION = 'v1alpha1';
export const BUTLER_API_VERSION = `${BUTLER_GROUP}/${BUTLER_VERSION}`;
const BUTLER_API = `/apis/${BUTLER_API_VERSION}`;

/** The Butler resources the server watches (see cached-read.ts). */
export const TENANT_CLUSTERS = {
  kind: 'TenantCluster',
  resource: 'tenantclusters',
  collectionPath: (ns?: string) => paths.tenantClusters(ns),
  itemPath: (ns: string, name: string) => paths.tenantCluster(ns, name),
};
export const PROVIDER_CONFIGS = {
  kind: 'ProviderConfig',
  resource: 'providerconfigs',
  collectionPath: (ns?: string) => paths.providerConfigs(ns),
  itemPath: (ns: string, name: string) => paths.providerConfig(ns, name),
};

/**
 * The hosted control plane of a tenant cluster: Kamaji's TenantControlPlane (Butler's Steward is a fork with the same
 * schema under its own group), named like the TenantCluster, in the cluster's tenant namespace.
 */
export const CONTROL_PLANE_GROUP = 'kamaji.clastix.io';
export const CONTROL_PLANE_VERSION = 'v1alpha1';
const CONTROL_PLANE_API = `/apis/${CONTROL_PLANE_GROUP}/${CONTROL_PLANE_VERSION}`;
/** Labels Kamaji puts on the Secrets of a control plane (certificates, kubeconfigs, datastore settings). */
export const CONTROL_PLANE_LABELS = {
  project: 'kamaji.clastix.io/project',
  projectValue: 'kamaji',
  name: 'kamaji.clastix.io/name',
  component: 'kamaji.clastix.io/component',
} as const;
/** Set to "" on a control-plane Secret, Kamaji renews its certificate and writes the renewal time as the value. */
export const ANNOTATION_CERT_ROTATE = 'certs.kamaji.clastix.io/rotate';
/** Written with the rotate request on each Secret: `{"type", "by", "at"}` of the rotation that asked for it. */
export const ANNOTATION_ROTATION_REQUEST = 'butler.butlerlabs.dev/certificate-rotation';

/** One path segment; Kubernetes names never need escaping, anything else is escaped rather than trusted. */
const seg = encodeURIComponent;

export const paths = {
  tenantClusters: (ns?: string) =>
    ns ? `${BUTLER_API}/namespaces/${seg(ns)}/tenantclusters` : `${BUTLER_API}/tenantclusters`,
  tenantCluster: (ns: string, name: string) => `${BUTLER_API}/namespaces/${seg(ns)}/tenantclusters/${seg(name)}`,
  providerConfigs: (ns?: string) =>
    ns ? `${BUTLER_API}/namespaces/${seg(ns)}/providerconfigs` : `${BUTLER_API}/providerconfigs`,
  providerConfig: (ns: string, name: string) => `${BUTLER_API}/namespaces/${seg(ns)}/providerconfigs/${seg(name)}`,
  tenantAddons: (ns: string) => `${BUTLER_API}/namespaces/${seg(ns)}/tenantaddons`,
  tenantAddon: (ns: string, name: string) => `${BUTLER_API}/namespaces/${seg(ns)}/tenantaddons/${seg(name)}`,
  managementAddons: () => `${BUTLER_API}/managementaddons`,
  managementAddon: (name: string) => `${BUTLER_API}/managementaddons/${seg(name)}`,
  addonDefinitions: () => `${BUTLER_API}/addondefinitions`,
  addonDefinition: (name: string) => `${BUTLER_API}/addondefinitions/${seg(name)}`,
  machineRequests: (ns: string) => `${BUTLER_API}/namespaces/${seg(ns)}/machinerequests`,
  loadBalancerRequests: (ns: string) => `${BUTLER_API}/namespaces/${seg(ns)}/loadbalancerrequests`,
  tenantControlPlane: (ns: string, name: string) =>
    `${CONTROL_PLANE_API}/namespaces/${seg(ns)}/tenantcontrolplanes/${seg(name)}`,
  butlerConfig: (name: string) => `${BUTLER_API}/butlerconfigs/${seg(name)}`,
  networkPools: (ns?: string) =>
    ns ? `${BUTLER_API}/namespaces/${seg(ns)}/networkpools` : `${BUTLER_API}/networkpools`,
  ipAllocations: (ns?: string) =>
    ns ? `${BUTLER_API}/namespaces/${seg(ns)}/ipallocations` : `${BUTLER_API}/ipallocations`,
  users: () => `${BUTLER_API}/users`,
  user: (name: string) => `${BUTLER_API}/users/${seg(name)}`,
  userStatus: (name: string) => `${BUTLER_API}/users/${seg(name)}/status`,
  teams: () => `${BUTLER_API}/teams`,
  team: (name: string) => `${BUTLER_API}/teams/${seg(name)}`,
  identityProviders: () => `${BUTLER_API}/identityproviders`,
  identityProvider: (name: string) => `${BUTLER_API}/identityproviders/${seg(name)}`,
  configMaps: (ns: string) => `/api/v1/namespaces/${seg(ns)}/configmaps`,
  secrets: (ns: string) => `/api/v1/namespaces/${seg(ns)}/secrets`,
  secret: (ns: string, name: string) => `/api/v1/namespaces/${seg(ns)}/secrets/${seg(name)}`,
  nodes: () => '/api/v1/nodes',
  pods: (ns: string) => `/api/v1/namespaces/${seg(ns)}/pods`,
  pod: (ns: string, name: string) => `/api/v1/namespaces/${seg(ns)}/pods/${seg(name)}`,
  events: (ns: string) => `/api/v1/namespaces/${seg(ns)}/events`,
};
