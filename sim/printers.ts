// Server-side printing: the columns and cells kube-apiserver's table convertors produce for `as=Table`
// (k8s.io/kubernetes/pkg/printers/internalversion for built-ins, the apiextensions tableconvertor for CRDs).
// The server prints "wide": columns with priority 1 are filled too; kubectl hides them unless `-o wide`.
import type { PrinterColumn, ResourceType } from './resources.js';

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export type Cell = string | number | boolean | null;

export interface Printer {
  columns: ColumnDefinition[];
  cells(obj: any, now: number): Cell[];
}

export const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
export const CREATION_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

function col(name: string, type: string, description: string, extra: Partial<ColumnDefinition> = {}): ColumnDefinition {
  return { name, type, format: '', description, priority: 0, ...extra };
}

const NAME = col('Name', 'string', NAME_DESCRIPTION, { format: 'name' });
const AGE = col('Age', 'string', CREATION_DESCRIPTION);

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** translateTimestampSince: "<unknown>" for a missing or unparsable time. */
export function since(timestamp: unknown, now: number): string {
  if (typeof timestamp !== 'string' || timestamp === '') return '<unknown>';
  const t = Date.parse(timestamp);
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now - t);
}

const age = (obj: any, now: number) => since(obj.metadata?.creationTimestamp, now);
const count = (m: unknown) => (m && typeof m === 'object' ? Object.keys(m).length : 0);
const orNone = (v: unknown) => (typeof v === 'string' && v !== '' ? v : '<none>');
const orUnknown = (v: unknown) => (typeof v === 'string' && v !== '' ? v : '<unknown>');

function nodeRoles(labels: Record<string, string> = {}): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return [...roles].sort();
}

function nodeAddress(node: any, type: string): string {
  const a = (node.status?.addresses ?? []).find((x: any) => x?.type === type);
  return orNone(a?.address);
}

function nodeStatus(node: any): string {
  const ready = (node.status?.conditions ?? []).find((c: any) => c?.type === 'Ready');
  const status = ready ? [ready.status === 'True' ? 'Ready' : 'NotReady'] : ['Unknown'];
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

function exitReason(t: any): string {
  return t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode ?? 0}`;
}

/** printPod's Ready, Status and Restarts (init containers, waiting/terminated reasons, Terminating). */
function podSummary(pod: any, now: number): { ready: string; reason: string; restarts: string } {
  const spec = pod.spec ?? {};
  const st = pod.status ?? {};
  const total = (spec.containers ?? []).length;
  let readyCount = 0;
  let restarts = 0;
  let lastRestart = 0;
  let reason: string = st.reason || st.phase || '';
  const noteRestart = (c: any) => {
    restarts += Number(c.restartCount ?? 0);
    const finished = Date.parse(c.lastState?.terminated?.finishedAt ?? '');
    if (!Number.isNaN(finished) && finished > lastRestart) lastRestart = finished;
  };
  const initStatuses: any[] = st.initContainerStatuses ?? [];
  let initializing = false;
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i];
    noteRestart(c);
    const term = c.state?.terminated;
    if (term && term.exitCode === 0) continue;
    if (term) reason = `Init:${term.reason || exitReason(term)}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing')
      reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
    initializing = true;
    break;
  }
  if (!initializing) {
    let hasRunning = false;
    const statuses: any[] = st.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i];
      noteRestart(c);
      const s = c.state ?? {};
      if (s.waiting?.reason) reason = s.waiting.reason;
      else if (s.terminated?.reason) reason = s.terminated.reason;
      else if (s.terminated) reason = exitReason(s.terminated);
      else if (c.ready && s.running) {
        hasRunning = true;
        readyCount++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const podReady = (st.conditions ?? []).some((c: any) => c?.type === 'Ready' && c.status === 'True');
      reason = podReady ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata?.deletionTimestamp && st.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && st.phase !== 'Succeeded' && st.phase !== 'Failed') reason = 'Terminating';
  const restartText = lastRestart > 0 ? `${restarts} (${humanDuration(now - lastRestart)} ago)` : String(restarts);
  return { ready: `${readyCount}/${total}`, reason, restarts: restartText };
}

function eventSource(ev: any): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const host = ev.source?.host || ev.reportingInstance || '';
  if (!component) return '<unknown>';
  return host ? `${component}, ${host}` : component;
}

function servicePorts(svc: any): string {
  const ports: any[] = svc.spec?.ports ?? [];
  if (ports.length === 0) return '<none>';
  return ports
    .map((p) => {
      const proto = p.protocol ?? 'TCP';
      return p.nodePort ? `${p.port}:${p.nodePort}/${proto}` : `${p.port}/${proto}`;
    })
    .join(',');
}

function serviceExternalIp(svc: any): string {
  const type = svc.spec?.type ?? 'ClusterIP';
  const external: string[] = svc.spec?.externalIPs ?? [];
  const ingress: string[] = (svc.status?.loadBalancer?.ingress ?? []).map((i: any) => i.ip || i.hostname);
  if (type === 'ExternalName') return svc.spec?.externalName ?? '<none>';
  if (type === 'LoadBalancer') {
    const all = [...ingress, ...external];
    return all.length > 0 ? all.join(',') : '<pending>';
  }
  return external.length > 0 ? external.join(',') : '<none>';
}

const BUILTIN_PRINTERS: Record<string, Printer> = {
  '/namespaces': {
    columns: [NAME, col('Status', 'string', 'The status of the namespace'), AGE],
    cells: (o, now) => [o.metadata.name, o.status?.phase ?? '', age(o, now)],
  },
  '/nodes': {
    columns: [
      NAME,
      col('Status', 'string', 'The status of the node'),
      col('Roles', 'string', 'The roles of the node'),
      AGE,
      col('Version', 'string', 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'string', 'List of addresses reachable to the node.', { priority: 1 }),
      col('External-IP', 'string', 'List of addresses reachable to the node.', { priority: 1 }),
      col(
        'OS-Image',
        'string',
        'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
        {
          priority: 1,
        },
      ),
      col(
        'Kernel-Version',
        'string',
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
        {
          priority: 1,
        },
      ),
      col(
        'Container-Runtime',
        'string',
        'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
        {
          priority: 1,
        },
      ),
    ],
    cells: (o, now) => {
      const roles = nodeRoles(o.metadata.labels);
      const info = o.status?.nodeInfo ?? {};
      return [
        o.metadata.name,
        nodeStatus(o),
        roles.length > 0 ? roles.join(',') : '<none>',
        age(o, now),
        info.kubeletVersion ?? '',
        nodeAddress(o, 'InternalIP'),
        nodeAddress(o, 'ExternalIP'),
        orUnknown(info.osImage),
        orUnknown(info.kernelVersion),
        orUnknown(info.containerRuntimeVersion),
      ];
    },
  },
  '/pods': {
    columns: [
      NAME,
      col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'string', 'The aggregate status of the containers in this pod.'),
      col(
        'Restarts',
        'string',
        'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
      ),
      AGE,
      col(
        'IP',
        'string',
        'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
        {
          priority: 1,
        },
      ),
      col('Node', 'string', 'NodeName is a request to schedule this pod onto a specific node.', { priority: 1 }),
      col('Nominated Node', 'string', 'nominatedNodeName is set when this pod preempts other pods on the node.', {
        priority: 1,
      }),
      col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', {
        priority: 1,
      }),
    ],
    cells: (o, now) => {
      const s = podSummary(o, now);
      const gates: any[] = o.spec?.readinessGates ?? [];
      const conditions: any[] = o.status?.conditions ?? [];
      const gatesText =
        gates.length === 0
          ? '<none>'
          : `${gates.filter((g) => conditions.some((c) => c?.type === g?.conditionType && c.status === 'True')).length}/${gates.length}`;
      return [
        o.metadata.name,
        s.ready,
        s.reason,
        s.restarts,
        age(o, now),
        orNone(o.status?.podIP),
        orNone(o.spec?.nodeName),
        orNone(o.status?.nominatedNodeName),
        gatesText,
      ];
    },
  },
  '/events': {
    columns: [
      col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
      col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
      col(
        'Reason',
        'string',
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
      ),
      col('Object', 'string', 'The object that this event is about.'),
      col(
        'Subobject',
        'string',
        'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.',
        {
          priority: 1,
        },
      ),
      col('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', {
        priority: 1,
      }),
      col('Message', 'string', 'A human-readable description of the status of this operation.'),
      col(
        'First Seen',
        'string',
        'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
        {
          priority: 1,
        },
      ),
      col('Count', 'string', 'The number of times this event has occurred.', { priority: 1 }),
      col('Name', 'string', NAME_DESCRIPTION, { priority: 1, format: 'name' }),
    ],
    cells: (o, now) => {
      let first = since(o.firstTimestamp, now);
      if (!o.firstTimestamp) first = since(o.eventTime, now);
      let last = o.lastTimestamp ? since(o.lastTimestamp, now) : first;
      let n = Number(o.count ?? 0);
      if (o.series) {
        last = since(o.series.lastObservedTime, now);
        n = Number(o.series.count ?? 0);
      } else if (n === 0) n = 1;
      const io = o.involvedObject ?? {};
      const kind = String(io.kind ?? '').toLowerCase();
      const target = io.name ? `${kind}/${io.name}` : kind;
      return [
        last,
        o.type ?? '',
        o.reason ?? '',
        target,
        io.fieldPath ?? '',
        eventSource(o),
        String(o.message ?? '').trim(),
        first,
        n,
        o.metadata.name,
      ];
    },
  },
  '/configmaps': {
    columns: [NAME, col('Data', 'integer', 'Data contains the configuration data.'), AGE],
    cells: (o, now) => [o.metadata.name, count(o.data) + count(o.binaryData), age(o, now)],
  },
  '/secrets': {
    columns: [
      NAME,
      col('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
      col('Data', 'integer', 'Data contains the secret data.'),
      AGE,
    ],
    cells: (o, now) => [o.metadata.name, o.type ?? 'Opaque', count(o.data), age(o, now)],
  },
  '/serviceaccounts': {
    columns: [
      NAME,
      col(
        'Secrets',
        'integer',
        'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
      ),
      AGE,
    ],
    cells: (o, now) => [o.metadata.name, (o.secrets ?? []).length, age(o, now)],
  },
  '/services': {
    columns: [
      NAME,
      col('Type', 'string', 'type determines how the Service is exposed.'),
      col('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
      col(
        'External-IP',
        'string',
        'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
      ),
      col('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
      AGE,
      col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', {
        priority: 1,
      }),
    ],
    cells: (o, now) => {
      const sel = o.spec?.selector;
      const selText =
        sel && Object.keys(sel).length > 0
          ? Object.keys(sel)
              .sort()
              .map((k) => `${k}=${sel[k]}`)
              .join(',')
          : '<none>';
      return [
        o.metadata.name,
        o.spec?.type ?? 'ClusterIP',
        orNone(o.spec?.clusterIP),
        serviceExternalIp(o),
        servicePorts(o),
        age(o, now),
        selText,
      ];
    },
  },
};

/** rest.DefaultTableConvertor: what resources without a printer (CRDs themselves, RBAC roles) answer. */
const DEFAULT_PRINTER: Printer = {
  columns: [NAME, col('Created At', 'date', CREATION_DESCRIPTION)],
  cells: (o) => {
    const t = Date.parse(o.metadata?.creationTimestamp ?? '');
    return [
      o.metadata.name,
      Number.isNaN(t) ? '0001-01-01T00:00:00Z' : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ];
  },
};

const DEFAULT_CONVERTOR_STORES = new Set([
  'apiextensions.k8s.io/customresourcedefinitions',
  'rbac.authorization.k8s.io/roles',
  'rbac.authorization.k8s.io/clusterroles',
]);

/** Built-ins whose real printer is not reproduced here: Name and Age (the real ones print more columns). */
const NAME_AGE_PRINTER: Printer = {
  columns: [NAME, AGE],
  cells: (o, now) => [o.metadata.name, age(o, now)],
};

// ---- custom resources: additionalPrinterColumns evaluated as simple JSONPath ----------------------

type PathStep = string | number;

/** Parses `.a.b[0]['c.d']` (the simple paths the CRD API accepts); undefined for anything fancier. */
export function parseSimpleJsonPath(path: string): PathStep[] | undefined {
  const steps: PathStep[] = [];
  let i = 0;
  const src = path.trim().replace(/^\{(.*)\}$/, '$1');
  if (!src.startsWith('.')) return undefined;
  while (i < src.length) {
    const ch = src[i];
    if (ch === '.') {
      i++;
      let name = '';
      while (i < src.length && src[i] !== '.' && src[i] !== '[') {
        if (src[i] === '\\' && i + 1 < src.length) {
          name += src[i + 1];
          i += 2;
        } else name += src[i++];
      }
      if (name === '' || name === '*') return undefined;
      steps.push(name);
    } else if (ch === '[') {
      const end = src.indexOf(']', i);
      if (end < 0) return undefined;
      const inner = src.slice(i + 1, end).trim();
      i = end + 1;
      const quoted = /^'(.*)'$|^"(.*)"$/.exec(inner);
      if (quoted) steps.push(quoted[1] ?? quoted[2]);
      else if (/^\d+$/.test(inner)) steps.push(Number(inner));
      else return undefined;
    } else return undefined;
  }
  return steps;
}

function evaluate(obj: any, steps: PathStep[]): unknown {
  let cur = obj;
  for (const s of steps) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (typeof s === 'number' && !Array.isArray(cur)) return undefined;
    cur = cur[s];
  }
  return cur;
}

/** encoding/json of a decoded value: object keys sorted like Go maps. */
function goJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${goJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The apiextensions tableconvertor's cellForJSONValue (and jsonpath text printing for strings). */
function customCell(type: string, value: unknown, now: number): Cell {
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'string':
      if (typeof value === 'object') return goJson(value);
      return String(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      const t = Date.parse(value);
      return Number.isNaN(t) ? '<invalid>' : humanDuration(now - t);
    }
    default:
      return null;
  }
}

function customPrinter(printerColumns: PrinterColumn[] | undefined): Printer {
  // A CRD version without columns is served with one Age column (serveDefaultColumnsIfEmpty).
  const defs: PrinterColumn[] =
    printerColumns && printerColumns.length > 0
      ? printerColumns
      : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: CREATION_DESCRIPTION }];
  const paths = defs.map((c) => parseSimpleJsonPath(c.jsonPath));
  return {
    columns: [
      NAME,
      ...defs.map((c) =>
        col(c.name, c.type, c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`, {
          format: c.format ?? '',
          priority: c.priority ?? 0,
        }),
      ),
    ],
    cells: (o, now) => [
      o.metadata.name,
      ...defs.map((c, i) => {
        const steps = paths[i];
        return steps ? customCell(c.type, evaluate(o, steps), now) : null;
      }),
    ],
  };
}

const customPrinters = new WeakMap<ResourceType, Printer>();

/** The table convertor kube-apiserver uses for `rt`. */
export function printerFor(rt: ResourceType): Printer {
  if (!rt.builtin) {
    let p = customPrinters.get(rt);
    if (!p) {
      p = customPrinter(rt.printerColumns);
      customPrinters.set(rt, p);
    }
    return p;
  }
  if (DEFAULT_CONVERTOR_STORES.has(rt.storeKey)) return DEFAULT_PRINTER;
  return BUILTIN_PRINTERS[rt.storeKey] ?? NAME_AGE_PRINTER;
}
