// Valid and invalid Butler objects shared by the CRD tests (direct and over HTTP). They are written here, not read
// from the reference folder, so that a fresh clone can run the tests.

const API_VERSION = 'butler.butlerlabs.dev/v1alpha1';

export interface ButlerSample {
  kind: string;
  /** Plural resource name. */
  resource: string;
  namespaced: boolean;
  object: Record<string, any>;
}

export interface InvalidButlerCase extends ButlerSample {
  title: string;
  /** Every expected cause as `"<reason> <field>"`, sorted. */
  causes: string[];
  /** True when the failing fields are under `status` (a create drops status, so test through /status only). */
  statusOnly?: boolean;
}

function make(kind: string, resource: string, namespaced: boolean, name: string, spec: unknown, extra: object = {}) {
  const metadata: Record<string, string> = { name };
  if (namespaced) metadata.namespace = 'team-a';
  return { kind, resource, namespaced, object: { apiVersion: API_VERSION, kind, metadata, spec, ...extra } };
}

const tc = (name: string, spec: unknown, extra?: object) =>
  make('TenantCluster', 'tenantclusters', true, name, spec, extra);
const pc = (name: string, spec: unknown, extra?: object) =>
  make('ProviderConfig', 'providerconfigs', true, name, spec, extra);
const ta = (name: string, spec: unknown) => make('TenantAddon', 'tenantaddons', true, name, spec);
const ad = (name: string, spec: unknown) => make('AddonDefinition', 'addondefinitions', false, name, spec);
const ma = (name: string, spec: unknown) => make('ManagementAddon', 'managementaddons', false, name, spec);
const bc = (name: string, spec: unknown) => make('ButlerConfig', 'butlerconfigs', false, name, spec);
const team = (name: string, spec: unknown) => make('Team', 'teams', false, name, spec);
const user = (name: string, spec: unknown, extra?: object) => make('User', 'users', false, name, spec, extra);
const idp = (name: string, spec: unknown, extra?: object) =>
  make('IdentityProvider', 'identityproviders', false, name, spec, extra);

const oidcSpec = (issuerURL: string) => ({
  issuerURL,
  clientID: 'client-1',
  clientSecretRef: { name: 'oidc-secret', namespace: 'butler-system', key: 'client-secret' },
  redirectURL: 'https://butler.example.com/api/auth/callback',
});

const clusterSpec = () => ({
  kubernetesVersion: 'v1.30.2',
  providerConfigRef: { name: 'harvester-config', namespace: 'butler-system' },
  workers: { replicas: 2, machineTemplate: { cpu: 4, memory: '8Gi', diskSize: '50Gi' } },
  networking: { loadBalancerPool: { start: '10.40.0.200', end: '10.40.0.210' } },
  infrastructureOverride: {
    harvester: { networkName: 'default/vlan40', imageName: 'default/image-x', namespace: 'default' },
  },
});
const nutanixSpec = () => ({
  provider: 'nutanix',
  credentialsRef: { name: 'nutanix-credentials', namespace: 'butler-system' },
  nutanix: {
    endpoint: 'https://prism.example.test:9440',
    clusterUUID: '0005a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b',
    subnetUUID: '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b',
  },
});
const proxmoxSpec = () => ({
  provider: 'proxmox',
  credentialsRef: { name: 'proxmox-credentials', namespace: 'butler-system' },
  proxmox: { endpoint: 'https://pve.example.test:8006', nodes: ['pve1'], storage: 'local-lvm', templateID: 9000 },
});
const condition = (type: string) => ({
  type,
  status: 'True',
  reason: 'Checked',
  message: 'ok',
  lastTransitionTime: '2025-01-01T00:00:00Z',
});

export const validButlerSamples: ButlerSample[] = [
  tc('demo', clusterSpec()),
  tc('minimal', { kubernetesVersion: 'v1.31.0', workers: { replicas: 1 } }),
  tc('with-status', clusterSpec(), {
    status: {
      phase: 'Ready',
      tenantNamespace: 'tc-with-status',
      kubeconfigSecretRef: { name: 'with-status-admin-kubeconfig' },
      conditions: [condition('Ready')],
      observedState: { addons: [{ name: 'cilium', version: '1.16.0', status: 'Healthy', managedBy: 'butler' }] },
    },
  }),
  pc('harvester-config', {
    provider: 'harvester',
    credentialsRef: { name: 'harvester-kubeconfig', namespace: 'default', key: 'kubeconfig' },
    harvester: { namespace: 'default', networkName: 'default/vlan40-workloads', imageName: 'default/image-5rs6d' },
  }),
  pc('nutanix-config', nutanixSpec(), {
    status: { validated: true, lastValidationTime: '2025-01-01T00:00:00Z', conditions: [condition('Validated')] },
  }),
  pc('proxmox-config', proxmoxSpec()),
  ta('longhorn-demo', { clusterRef: { name: 'demo' }, addon: 'longhorn', version: '1.7.2', values: { a: { b: [1] } } }),
  ta('podinfo-demo', {
    clusterRef: { name: 'demo' },
    version: '6.7.0',
    helm: {
      repository: 'https://stefanprodan.github.io/podinfo',
      chart: 'podinfo',
      releaseName: 'podinfo',
      namespace: 'apps',
    },
  }),
  ad('longhorn', {
    displayName: 'Longhorn',
    description: 'Distributed block storage',
    category: 'storage',
    icon: '💾',
    chart: {
      repository: 'https://charts.longhorn.io',
      name: 'longhorn',
      defaultVersion: '1.7.2',
      availableVersions: ['1.7.2', '1.6.3'],
    },
    defaults: { namespace: 'longhorn-system' },
    dependsOn: ['cert-manager'],
    links: { documentation: 'https://longhorn.io/docs' },
  }),
  ma('longhorn', { addon: 'longhorn', version: '1.7.2', values: { persistence: { defaultClass: true } } }),
  bc('butler', { controlPlaneExposure: { mode: 'LoadBalancer' }, audit: { bufferSize: 1000 } }),
  team('team-a', { displayName: 'Team A', access: { users: [{ name: 'alice', role: 'admin' }] } }),
  user('alice', { email: 'alice@example.test', displayName: 'Alice', authType: 'internal' }),
  team('platform', {
    displayName: 'Platform',
    description: 'Platform engineering',
    access: {
      users: [{ name: 'alice@example.test', role: 'admin' }, { name: 'bob@example.test' }],
      groups: [{ name: 'CN=DevOps,OU=Groups', role: 'operator', identityProvider: 'okta' }],
    },
    environments: [{ name: 'prod', description: 'Production', access: { users: [{ name: 'carol@example.test' }] } }],
  }),
  user(
    'bob',
    {
      email: 'bob@example.test',
      displayName: 'Bob',
      avatar: 'https://example.test/bob.png',
      authType: 'sso',
      ssoProvider: 'Okta',
      ssoSubject: '00u1',
      platformRole: 'viewer',
      sshKeys: [{ name: 'laptop', publicKey: 'ssh-ed25519 AAAAC3Nza bob', addedAt: '2026-01-02T03:04:05Z' }],
    },
    {
      status: {
        phase: 'Active',
        lastSeenGroups: ['devops', 'CN=DevOps,OU=Groups'],
        teams: [{ name: 'platform', role: 'operator' }],
        teamsResolvedAt: '2026-01-02T03:04:05Z',
        loginCount: 3,
        failedLoginAttempts: 0,
        lastLoginTime: '2026-01-02T03:04:05Z',
      },
    },
  ),
  user(
    'carol',
    { email: 'carol@example.test', platformRole: '', isPlatformAdmin: false, disabled: true },
    {
      status: {
        phase: 'Pending',
        inviteTokenHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        inviteExpiresAt: '2026-01-09T03:04:05Z',
        inviteSentAt: '2026-01-02T03:04:05Z',
        passwordSecretRef: { name: 'butler-user-carol-password', namespace: 'butler-system', key: 'password' },
      },
    },
  ),
  // The three IdentityProvider examples of the upstream project (Google Workspace, Microsoft Entra ID, Okta).
  idp('google-workspace', {
    type: 'oidc',
    displayName: 'Google Workspace',
    oidc: {
      ...oidcSpec('https://accounts.google.com'),
      clientID: '123456789.apps.googleusercontent.com',
      hostedDomain: 'example.com',
      scopes: [],
      emailClaim: 'email',
      groupsClaim: '',
    },
  }),
  idp('microsoft-entra', {
    type: 'oidc',
    displayName: 'Microsoft',
    oidc: { ...oidcSpec('https://login.microsoftonline.com/{tenant-id}/v2.0'), groupsClaim: 'groups' },
    platformRoleGroups: [{ name: 'aaaaaaaa-bbbb-cccc-dddd-111111111111', role: 'admin' }],
  }),
  idp(
    'okta',
    {
      type: 'oidc',
      displayName: 'Okta',
      oidc: {
        ...oidcSpec('https://{domain}.okta.com'),
        scopes: ['openid', 'email', 'profile', 'groups'],
        insecureSkipVerify: false,
        googleWorkspace: { adminEmail: 'admin@example.com', serviceAccountSecretRef: { name: 'gw-sa' } },
      },
      platformRoleGroups: [
        { name: 'platform-admins', role: 'admin' },
        { name: 'auditors', role: 'viewer' },
      ],
    },
    {
      status: {
        phase: 'Ready',
        message: 'discovery ok',
        observedGeneration: 1,
        lastValidatedTime: '2026-01-02T03:04:05Z',
        discoveredEndpoints: {
          authorizationEndpoint: 'https://x.okta.com/oauth2/v1/authorize',
          tokenEndpoint: 'https://x.okta.com/oauth2/v1/token',
          userInfoEndpoint: 'https://x.okta.com/oauth2/v1/userinfo',
          jwksURI: 'https://x.okta.com/oauth2/v1/keys',
        },
      },
    },
  ),
];

const bad = (title: string, sample: ButlerSample, causes: string[], statusOnly = false): InvalidButlerCase => ({
  ...sample,
  title,
  causes: [...causes].sort(),
  statusOnly,
});

export const invalidButlerCases: InvalidButlerCase[] = [
  bad('TenantCluster without kubernetesVersion and workers', tc('c1', { providerConfigRef: { name: 'p' } }), [
    'FieldValueRequired spec.kubernetesVersion',
    'FieldValueRequired spec.workers',
  ]),
  bad('TenantCluster with 0 worker replicas', tc('c2', { ...clusterSpec(), workers: { replicas: 0 } }), [
    'FieldValueInvalid spec.workers.replicas',
  ]),
  bad('TenantCluster with replicas as a string', tc('c3', { ...clusterSpec(), workers: { replicas: '2' } }), [
    'FieldValueTypeInvalid spec.workers.replicas',
  ]),
  bad('TenantCluster with a kubernetesVersion without v', tc('c4', { ...clusterSpec(), kubernetesVersion: '1.30.2' }), [
    'FieldValueInvalid spec.kubernetesVersion',
  ]),
  bad('TenantCluster with providerConfigRef without name', tc('c5', { ...clusterSpec(), providerConfigRef: {} }), [
    'FieldValueRequired spec.providerConfigRef.name',
  ]),
  bad(
    'TenantCluster with an empty providerConfigRef name',
    tc('c6', { ...clusterSpec(), providerConfigRef: { name: '' } }),
    ['FieldValueInvalid spec.providerConfigRef.name'],
  ),
  bad(
    'TenantCluster with bad machine template',
    tc('c7', {
      ...clusterSpec(),
      workers: { replicas: 1, machineTemplate: { cpu: 0, memory: '8 GB', os: { type: 'ubuntu' } } },
    }),
    [
      'FieldValueInvalid spec.workers.machineTemplate.cpu',
      'FieldValueInvalid spec.workers.machineTemplate.memory',
      'FieldValueNotSupported spec.workers.machineTemplate.os.type',
    ],
  ),
  bad(
    'TenantCluster with half a load balancer pool',
    tc('c8', { ...clusterSpec(), networking: { loadBalancerPool: { start: '10.0.0.1' } } }),
    ['FieldValueRequired spec.networking.loadBalancerPool.end'],
  ),
  bad(
    'TenantCluster with an unknown phase and a duplicate condition',
    tc('c9', clusterSpec(), { status: { phase: 'Running', conditions: [condition('Ready'), condition('Ready')] } }),
    ['FieldValueNotSupported status.phase', 'FieldValueDuplicate status.conditions[1]'],
    true,
  ),
  bad('ProviderConfig with an unknown provider', pc('p1', { ...proxmoxSpec(), provider: 'vsphere' }), [
    'FieldValueNotSupported spec.provider',
  ]),
  bad('ProviderConfig without provider and credentialsRef', pc('p2', { proxmox: proxmoxSpec().proxmox }), [
    'FieldValueRequired spec.credentialsRef',
    'FieldValueRequired spec.provider',
  ]),
  bad(
    'nutanix ProviderConfig without clusterUUID and subnetUUID',
    pc('p3', { ...nutanixSpec(), nutanix: { endpoint: 'https://prism.example.test:9440' } }),
    ['FieldValueRequired spec.nutanix.clusterUUID', 'FieldValueRequired spec.nutanix.subnetUUID'],
  ),
  bad(
    'nutanix ProviderConfig with an endpoint that is no URL',
    pc('p4', { ...nutanixSpec(), nutanix: { ...nutanixSpec().nutanix, endpoint: 'prism.example.test:9440' } }),
    ['FieldValueInvalid spec.nutanix.endpoint'],
  ),
  bad(
    'proxmox ProviderConfig without nodes and storage',
    pc('p5', { ...proxmoxSpec(), proxmox: { endpoint: 'https://pve.example.test:8006' } }),
    ['FieldValueRequired spec.proxmox.nodes', 'FieldValueRequired spec.proxmox.storage'],
  ),
  bad(
    'proxmox ProviderConfig with an empty node list',
    pc('p6', { ...proxmoxSpec(), proxmox: { ...proxmoxSpec().proxmox, nodes: [] } }),
    ['FieldValueInvalid spec.proxmox.nodes'],
  ),
  bad(
    'harvester ProviderConfig whose networkName is not namespace/name',
    pc('p7', { provider: 'harvester', credentialsRef: { name: 'k' }, harvester: { networkName: 'vlan40' } }),
    ['FieldValueInvalid spec.harvester.networkName'],
  ),
  bad(
    'harvester ProviderConfig block without networkName',
    pc('p8', { provider: 'harvester', credentialsRef: { name: 'k' }, harvester: { imageName: 'default/img' } }),
    ['FieldValueRequired spec.harvester.networkName'],
  ),
  bad(
    'ProviderConfig status with a bad validation time',
    pc('p9', nutanixSpec(), { status: { validated: 'yes', lastValidationTime: 'yesterday' } }),
    ['FieldValueTypeInvalid status.lastValidationTime', 'FieldValueTypeInvalid status.validated'],
    true,
  ),
  bad('TenantAddon without clusterRef and version', ta('a1', { addon: 'longhorn' }), [
    'FieldValueRequired spec.clusterRef',
    'FieldValueRequired spec.version',
  ]),
  bad('TenantAddon with an empty cluster name', ta('a2', { clusterRef: { name: '' }, version: '1' }), [
    'FieldValueInvalid spec.clusterRef.name',
  ]),
  bad(
    'TenantAddon helm block without chart and repository',
    ta('a3', { clusterRef: { name: 'c' }, version: '1', helm: {} }),
    ['FieldValueRequired spec.helm.chart', 'FieldValueRequired spec.helm.repository'],
  ),
  bad(
    'AddonDefinition with bad category, repository, display name and icon',
    ad('d1', {
      displayName: 'x'.repeat(65),
      description: 'd',
      category: 'databases',
      icon: 'far-too-long',
      chart: { repository: 'oci://registry.example.test/charts', name: 'n', defaultVersion: '1' },
    }),
    [
      'FieldValueInvalid spec.chart.repository',
      'FieldValueNotSupported spec.category',
      'FieldValueTooLong spec.displayName',
      'FieldValueTooLong spec.icon',
    ],
  ),
  bad('AddonDefinition without description and chart', ad('d2', { displayName: 'D', category: 'other' }), [
    'FieldValueRequired spec.chart',
    'FieldValueRequired spec.description',
  ]),
  bad('ManagementAddon without addon', ma('m1', { version: '1.0.0' }), ['FieldValueRequired spec.addon']),
  bad('ManagementAddon with an empty addon', ma('m2', { addon: '' }), ['FieldValueInvalid spec.addon']),
  bad(
    'ButlerConfig with a small audit buffer and an unknown exposure mode',
    bc('b1', { audit: { bufferSize: 10 }, controlPlaneExposure: { mode: 'NodePort' } }),
    ['FieldValueInvalid spec.audit.bufferSize', 'FieldValueNotSupported spec.controlPlaneExposure.mode'],
  ),
  bad(
    'Team with an unknown role and a bad environment name',
    team('t1', { access: { users: [{ name: 'bob', role: 'owner' }] }, environments: [{ name: 'bad name!' }] }),
    ['FieldValueInvalid spec.environments[0].name', 'FieldValueNotSupported spec.access.users[0].role'],
  ),
  bad('User without email', user('u1', { displayName: 'U' }), ['FieldValueRequired spec.email']),
  bad('User with an email that is not one', user('u2', { email: 'alice' }), ['FieldValueTypeInvalid spec.email']),
  bad(
    'User with an unknown auth type and platform role',
    user('u3', { email: 'u3@x.io', authType: 'ldap', platformRole: 'owner' }),
    ['FieldValueNotSupported spec.authType', 'FieldValueNotSupported spec.platformRole'],
  ),
  bad(
    'User with an SSH key without public key and an over-long name',
    user('u4', { email: 'u4@x.io', sshKeys: [{ name: 'k'.repeat(64) }] }),
    ['FieldValueRequired spec.sshKeys[0].publicKey', 'FieldValueTooLong spec.sshKeys[0].name'],
  ),
  bad(
    'User status with an unknown phase and a string login count',
    user('u5', { email: 'u5@x.io' }, { status: { phase: 'Gone', loginCount: 'three', lastSeenGroups: 'devops' } }),
    [
      // phase is an allOf of two identical enums in the upstream schema: kube-apiserver reports the value once and
      // the allOf itself without a field.
      'FieldValueInvalid <nil>',
      'FieldValueNotSupported status.phase',
      'FieldValueTypeInvalid status.lastSeenGroups',
      'FieldValueTypeInvalid status.loginCount',
    ],
    true,
  ),
  bad('IdentityProvider without type', idp('i1', { oidc: oidcSpec('https://idp.example.com') }), [
    'FieldValueRequired spec.type',
  ]),
  bad('IdentityProvider with an OIDC block missing every required field', idp('i2', { type: 'oidc', oidc: {} }), [
    'FieldValueRequired spec.oidc.clientID',
    'FieldValueRequired spec.oidc.clientSecretRef',
    'FieldValueRequired spec.oidc.issuerURL',
    'FieldValueRequired spec.oidc.redirectURL',
  ]),
  bad(
    'IdentityProvider of type saml, with an http issuer, an ftp redirect and an empty secret name',
    idp('i3', {
      type: 'saml',
      oidc: {
        ...oidcSpec('http://idp.example.com'),
        redirectURL: 'ftp://butler.example.com/cb',
        clientSecretRef: { name: '' },
        clientID: '',
      },
    }),
    [
      'FieldValueInvalid spec.oidc.clientID',
      'FieldValueInvalid spec.oidc.clientSecretRef.name',
      'FieldValueInvalid spec.oidc.issuerURL',
      'FieldValueInvalid spec.oidc.redirectURL',
      'FieldValueNotSupported spec.type',
    ],
  ),
  bad(
    'IdentityProvider with a bad platform role group and Google Workspace block',
    idp('i4', {
      type: 'oidc',
      oidc: { ...oidcSpec('https://idp.example.com'), googleWorkspace: { adminEmail: 'nope' } },
      platformRoleGroups: [{ name: '', role: 'operator' }, { role: 'admin' }],
    }),
    [
      'FieldValueInvalid spec.platformRoleGroups[0].name',
      'FieldValueNotSupported spec.platformRoleGroups[0].role',
      'FieldValueRequired spec.oidc.googleWorkspace.serviceAccountSecretRef',
      'FieldValueRequired spec.platformRoleGroups[1].name',
      'FieldValueTypeInvalid spec.oidc.googleWorkspace.adminEmail',
    ],
  ),
  bad(
    'IdentityProvider status with an unknown phase',
    idp('i5', { type: 'oidc', oidc: oidcSpec('https://idp.example.com') }, { status: { phase: 'Validated' } }),
    ['FieldValueNotSupported status.phase'],
    true,
  ),
];
