// Built-in resources the simulator serves: the core ones butler-server uses plus generic storage for the
// kinds a deployment bundle contains (so `kubectl apply --dry-run=server` works).
import { ALL_VERBS, readPath, type ResourceType, type Subresource } from './resources.js';
import type { FieldError } from './status.js';

interface BuiltinSpec {
  group?: string;
  version?: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: string[];
  subresources?: Subresource[];
  statusSubresource?: boolean;
  hasGeneration?: boolean;
  fieldSelectors?: string[];
  fieldValue?: ResourceType['fieldValue'];
  nameRule?: ResourceType['nameRule'];
  prepareCreate?: ResourceType['prepareCreate'];
  normalize?: ResourceType['normalize'];
  initialStatus?: ResourceType['initialStatus'];
}

function builtin(s: BuiltinSpec): ResourceType {
  const group = s.group ?? '';
  return {
    group,
    version: s.version ?? 'v1',
    plural: s.plural,
    singular: s.kind.toLowerCase(),
    kind: s.kind,
    listKind: `${s.kind}List`,
    namespaced: s.namespaced,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    verbs: s.verbs ?? ALL_VERBS,
    subresources: s.subresources ?? (s.statusSubresource ? [statusSub(s.kind)] : []),
    statusSubresource: s.statusSubresource ?? false,
    hasGeneration: s.hasGeneration ?? false,
    builtin: true,
    fieldSelectors: s.fieldSelectors ?? [],
    fieldValue: s.fieldValue,
    storeKey: `${group}/${s.plural}`,
    nameRule: s.nameRule,
    prepareCreate: s.prepareCreate,
    normalize: s.normalize,
    initialStatus: s.initialStatus,
  };
}

function statusSub(kind: string): Subresource {
  return { name: 'status', kind, verbs: ['get', 'patch', 'update'] };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function normalizeSecret(obj: any): FieldError[] {
  const errs: FieldError[] = [];
  if (obj.stringData && typeof obj.stringData === 'object') {
    obj.data = obj.data ?? {};
    for (const [k, v] of Object.entries(obj.stringData))
      obj.data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    delete obj.stringData;
  }
  if (obj.data && typeof obj.data === 'object') {
    for (const [k, v] of Object.entries(obj.data)) {
      if (typeof v !== 'string' || v.length % 4 !== 0 || !BASE64.test(v)) {
        errs.push({
          type: 'FieldValueInvalid',
          field: `data[${k}]`,
          message: 'Invalid value: "<secret contents redacted>": illegal base64 data',
        });
      }
      if (!/^[-._a-zA-Z0-9]+$/.test(k)) {
        errs.push({
          type: 'FieldValueInvalid',
          field: `data[${k}]`,
          message: `Invalid value: "${k}": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
        });
      }
    }
  }
  if (!obj.type) obj.type = 'Opaque';
  return errs;
}

function defaultPodSpec(spec: any): void {
  if (!spec || typeof spec !== 'object') return;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    if (!c || typeof c !== 'object') continue;
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.imagePullPolicy ??=
      typeof c.image === 'string' && (c.image.endsWith(':latest') || !c.image.includes(':'))
        ? 'Always'
        : 'IfNotPresent';
    c.resources ??= {};
  }
}

function validatePod(obj: any): FieldError[] {
  const containers = obj.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    return [{ type: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' }];
  }
  const errs: FieldError[] = [];
  containers.forEach((c: any, i: number) => {
    if (!c?.name)
      errs.push({ type: 'FieldValueRequired', field: `spec.containers[${i}].name`, message: 'Required value' });
    if (!c?.image)
      errs.push({ type: 'FieldValueRequired', field: `spec.containers[${i}].image`, message: 'Required value' });
  });
  return errs;
}

function eventField(obj: any, field: string): string | undefined {
  if (field === 'source') return obj.source?.component ?? '';
  if (field === 'reportingComponent') return obj.reportingComponent ?? '';
  return readPath(obj, field) ?? '';
}

export function builtinResources(): ResourceType[] {
  return [
    builtin({ plural: 'bindings', kind: 'Binding', namespaced: true, verbs: ['create'] }),
    builtin({ plural: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] }),
    builtin({ plural: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep'] }),
    builtin({
      plural: 'events',
      kind: 'Event',
      namespaced: true,
      shortNames: ['ev'],
      nameRule: 'path',
      fieldSelectors: [
        'involvedObject.kind',
        'involvedObject.namespace',
        'involvedObject.name',
        'involvedObject.uid',
        'involvedObject.apiVersion',
        'involvedObject.resourceVersion',
        'involvedObject.fieldPath',
        'reason',
        'reportingComponent',
        'source',
        'type',
      ],
      fieldValue: eventField,
    }),
    builtin({
      plural: 'namespaces',
      kind: 'Namespace',
      namespaced: false,
      shortNames: ['ns'],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      subresources: [{ name: 'finalize', kind: 'Namespace', verbs: ['update'] }, statusSub('Namespace')],
      statusSubresource: true,
      nameRule: 'label',
      fieldSelectors: ['status.phase'],
      prepareCreate(obj) {
        obj.spec = { finalizers: ['kubernetes'], ...(obj.spec ?? {}) };
        obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name };
      },
      initialStatus: () => ({ phase: 'Active' }),
    }),
    builtin({
      plural: 'nodes',
      kind: 'Node',
      namespaced: false,
      shortNames: ['no'],
      subresources: [
        { name: 'proxy', kind: 'NodeProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
        statusSub('Node'),
      ],
      statusSubresource: true,
      fieldSelectors: ['spec.unschedulable'],
      fieldValue: (obj, f) =>
        f === 'spec.unschedulable' ? String(obj.spec?.unschedulable === true) : readPath(obj, f),
      initialStatus: (obj) => obj.status ?? {},
    }),
    builtin({
      plural: 'persistentvolumeclaims',
      kind: 'PersistentVolumeClaim',
      namespaced: true,
      shortNames: ['pvc'],
      statusSubresource: true,
      initialStatus: () => ({ phase: 'Pending' }),
    }),
    builtin({
      plural: 'pods',
      kind: 'Pod',
      namespaced: true,
      shortNames: ['po'],
      categories: ['all'],
      subresources: [
        { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
        { name: 'binding', kind: 'Binding', verbs: ['create'] },
        { name: 'ephemeralcontainers', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
        { name: 'eviction', kind: 'Eviction', verbs: ['create'], group: 'policy', version: 'v1' },
        { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
        { name: 'log', kind: 'Pod', verbs: ['get'] },
        { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
        { name: 'proxy', kind: 'PodProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
        statusSub('Pod'),
      ],
      statusSubresource: true,
      fieldSelectors: [
        'spec.nodeName',
        'spec.restartPolicy',
        'spec.schedulerName',
        'spec.serviceAccountName',
        'spec.hostNetwork',
        'status.phase',
        'status.podIP',
        'status.nominatedNodeName',
      ],
      fieldValue: (obj, f) =>
        f === 'spec.hostNetwork' ? String(obj.spec?.hostNetwork === true) : (readPath(obj, f) ?? ''),
      prepareCreate(obj) {
        defaultPodSpec(obj.spec);
        if (obj.spec && !obj.spec.serviceAccountName) obj.spec.serviceAccountName = 'default';
        if (obj.spec && !obj.spec.serviceAccount) obj.spec.serviceAccount = obj.spec.serviceAccountName;
      },
      normalize: (obj) => validatePod(obj),
      initialStatus: () => ({ phase: 'Pending', qosClass: 'BestEffort' }),
    }),
    builtin({
      plural: 'secrets',
      kind: 'Secret',
      namespaced: true,
      fieldSelectors: ['type'],
      normalize: normalizeSecret,
    }),
    builtin({
      plural: 'serviceaccounts',
      kind: 'ServiceAccount',
      namespaced: true,
      shortNames: ['sa'],
      subresources: [
        { name: 'token', kind: 'TokenRequest', verbs: ['create'], group: 'authentication.k8s.io', version: 'v1' },
      ],
    }),
    builtin({
      plural: 'services',
      kind: 'Service',
      namespaced: true,
      shortNames: ['svc'],
      categories: ['all'],
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      subresources: [
        { name: 'proxy', kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
        statusSub('Service'),
      ],
      statusSubresource: true,
      prepareCreate(obj, ctx) {
        obj.spec ??= {};
        obj.spec.type ??= 'ClusterIP';
        if (obj.spec.type !== 'ExternalName' && !obj.spec.clusterIP) obj.spec.clusterIP = ctx.allocate('clusterIP');
        if (obj.spec.clusterIP && !obj.spec.clusterIPs) obj.spec.clusterIPs = [obj.spec.clusterIP];
        obj.spec.sessionAffinity ??= 'None';
        for (const p of obj.spec.ports ?? []) {
          if (p && typeof p === 'object') {
            p.protocol ??= 'TCP';
            p.targetPort ??= p.port;
          }
        }
      },
      initialStatus: () => ({ loadBalancer: {} }),
    }),
    // apps/v1
    ...['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].map((kind) =>
      builtin({
        group: 'apps',
        plural: `${kind.toLowerCase()}s`,
        kind,
        namespaced: true,
        shortNames: { Deployment: ['deploy'], StatefulSet: ['sts'], DaemonSet: ['ds'], ReplicaSet: ['rs'] }[kind],
        categories: ['all'],
        subresources: [
          ...(kind === 'DaemonSet'
            ? []
            : [
                {
                  name: 'scale',
                  kind: 'Scale',
                  verbs: ['get', 'patch', 'update'],
                  group: 'autoscaling',
                  version: 'v1',
                },
              ]),
          statusSub(kind),
        ],
        statusSubresource: true,
        hasGeneration: true,
        prepareCreate(obj) {
          defaultPodSpec(obj.spec?.template?.spec);
          if (kind !== 'DaemonSet' && obj.spec) obj.spec.replicas ??= 1;
        },
        initialStatus: () => ({}),
      }),
    ),
    builtin({
      group: 'batch',
      plural: 'jobs',
      kind: 'Job',
      namespaced: true,
      categories: ['all'],
      statusSubresource: true,
      hasGeneration: true,
      initialStatus: () => ({}),
    }),
    builtin({
      group: 'batch',
      plural: 'cronjobs',
      kind: 'CronJob',
      namespaced: true,
      shortNames: ['cj'],
      categories: ['all'],
      statusSubresource: true,
      hasGeneration: true,
      initialStatus: () => ({}),
    }),
    builtin({ group: 'coordination.k8s.io', plural: 'leases', kind: 'Lease', namespaced: true }),
    builtin({
      group: 'policy',
      plural: 'poddisruptionbudgets',
      kind: 'PodDisruptionBudget',
      namespaced: true,
      shortNames: ['pdb'],
      statusSubresource: true,
      hasGeneration: true,
      initialStatus: () => ({ currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 }),
    }),
    builtin({ group: 'networking.k8s.io', plural: 'ingressclasses', kind: 'IngressClass', namespaced: false }),
    builtin({
      group: 'networking.k8s.io',
      plural: 'ingresses',
      kind: 'Ingress',
      namespaced: true,
      shortNames: ['ing'],
      statusSubresource: true,
      hasGeneration: true,
      initialStatus: () => ({ loadBalancer: {} }),
    }),
    builtin({
      group: 'networking.k8s.io',
      plural: 'networkpolicies',
      kind: 'NetworkPolicy',
      namespaced: true,
      shortNames: ['netpol'],
      hasGeneration: true,
    }),
    builtin({
      group: 'authorization.k8s.io',
      plural: 'selfsubjectaccessreviews',
      kind: 'SelfSubjectAccessReview',
      namespaced: false,
      verbs: ['create'],
    }),
    ...(
      [
        ['clusterrolebindings', 'ClusterRoleBinding', false],
        ['clusterroles', 'ClusterRole', false],
        ['rolebindings', 'RoleBinding', true],
        ['roles', 'Role', true],
      ] as const
    ).map(([plural, kind, namespaced]) =>
      builtin({ group: 'rbac.authorization.k8s.io', plural, kind, namespaced, nameRule: 'path' }),
    ),
  ];
}
