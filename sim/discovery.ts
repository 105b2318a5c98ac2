// Discovery documents shaped like a v1.31 kube-apiserver's: /api, /apis, /apis/{group}, APIResourceLists,
// and the aggregated (apidiscovery.k8s.io/v2) form kubectl asks for first.
import type { ResourceType } from './resources.js';

export const VERSION_INFO = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0',
  gitCommit: '9edcffcde5595e8a5b1a35f88c421764e575afce',
  gitTreeState: 'clean',
  buildDate: '2024-08-13T07:28:49Z',
  goVersion: 'go1.22.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** VERSION_INFO for another release (`v1.30.6` → major 1, minor 30); the default for anything else. */
export function versionInfo(gitVersion: string | undefined): typeof VERSION_INFO {
  const m = gitVersion === undefined ? null : /^v(\d+)\.(\d+)\.\d+\S*$/.exec(gitVersion);
  if (!m) return VERSION_INFO;
  return { ...VERSION_INFO, major: m[1]!, minor: m[2]!, gitVersion: gitVersion! };
}

// Order of the built-in groups in /apis on a real server; custom groups follow, sorted.
const GROUP_PRIORITY = [
  'apiregistration.k8s.io',
  'apps',
  'events.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'networking.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'node.k8s.io',
  'discovery.k8s.io',
  'flowcontrol.apiserver.k8s.io',
];

export interface GroupInfo {
  name: string;
  versions: string[]; // preferred first
}

function versionPriority(v: string): [number, number, number] {
  const m = v.match(/^v(\d+)(?:(alpha|beta)(\d+))?$/);
  if (!m) return [0, 0, 0];
  const stability = m[2] === 'alpha' ? 1 : m[2] === 'beta' ? 2 : 3;
  return [stability, Number(m[1]), Number(m[3] ?? 0)];
}

function compareVersions(a: string, b: string): number {
  const pa = versionPriority(a);
  const pb = versionPriority(b);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pb[i] - pa[i];
  return a.localeCompare(b);
}

export function groups(types: ResourceType[], preferred: (group: string) => string | undefined): GroupInfo[] {
  const byGroup = new Map<string, Set<string>>();
  for (const rt of types) {
    if (!rt.group) continue;
    if (!byGroup.has(rt.group)) byGroup.set(rt.group, new Set());
    byGroup.get(rt.group)!.add(rt.version);
  }
  const names = [...byGroup.keys()].sort((a, b) => {
    const ia = GROUP_PRIORITY.indexOf(a);
    const ib = GROUP_PRIORITY.indexOf(b);
    if (ia >= 0 || ib >= 0) return (ia < 0 ? 1000 : ia) - (ib < 0 ? 1000 : ib);
    return a.localeCompare(b);
  });
  return names.map((name) => {
    const versions = [...byGroup.get(name)!].sort(compareVersions);
    const pref = preferred(name);
    if (pref && versions.includes(pref)) versions.sort((a, b) => (a === pref ? -1 : b === pref ? 1 : 0));
    return { name, versions };
  });
}

function groupDoc(g: GroupInfo): object {
  return {
    name: g.name,
    versions: g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${g.name}/${g.versions[0]}`, version: g.versions[0] },
  };
}

export function apiVersionsDoc(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

export function apiGroupListDoc(gs: GroupInfo[]): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: gs.map(groupDoc) };
}

export function apiGroupDoc(g: GroupInfo): object {
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g) };
}

export function apiResourceListDoc(groupVersion: string, types: ResourceType[]): object {
  const resources: object[] = [];
  for (const rt of [...types].sort((a, b) => a.plural.localeCompare(b.plural))) {
    const r: Record<string, unknown> = {
      name: rt.plural,
      singularName: rt.singular,
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: rt.verbs,
    };
    if (rt.shortNames.length) r.shortNames = rt.shortNames;
    if (rt.categories.length) r.categories = rt.categories;
    resources.push(r);
    for (const s of rt.subresources) {
      const sr: Record<string, unknown> = {
        name: `${rt.plural}/${s.name}`,
        singularName: '',
        namespaced: rt.namespaced,
      };
      if (s.group) sr.group = s.group;
      if (s.version) sr.version = s.version;
      sr.kind = s.kind;
      sr.verbs = s.verbs;
      resources.push(sr);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

function discoveryResource(rt: ResourceType): object {
  const r: Record<string, unknown> = {
    resource: rt.plural,
    responseKind: { group: rt.group, version: rt.version, kind: rt.kind },
    scope: rt.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: rt.singular,
    verbs: rt.verbs,
  };
  if (rt.shortNames.length) r.shortNames = rt.shortNames;
  if (rt.categories.length) r.categories = rt.categories;
  if (rt.subresources.length) {
    r.subresources = rt.subresources.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group ?? rt.group, version: s.version ?? rt.version, kind: s.kind },
      verbs: s.verbs,
    }));
  }
  return r;
}

export const AGGREGATED_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** True when the Accept header asks for aggregated discovery v2 before anything else we could answer. */
export function wantsAggregated(accept: string | undefined): boolean {
  if (!accept) return false;
  const first = accept.split(',')[0].replace(/\s+/g, '');
  return (
    first.includes('g=apidiscovery.k8s.io') && first.includes('v=v2;') && first.includes('as=APIGroupDiscoveryList')
  );
}

export function aggregatedDoc(gs: GroupInfo[], types: ResourceType[], core: boolean): object {
  const items: object[] = [];
  const build = (name: string, versions: string[]) => ({
    metadata: { name, creationTimestamp: null },
    versions: versions.map((v) => ({
      version: v,
      resources: types
        .filter((rt) => rt.group === name && rt.version === v)
        .sort((a, b) => a.plural.localeCompare(b.plural))
        .map(discoveryResource),
      freshness: 'Current',
    })),
  });
  if (core) items.push(build('', ['v1']));
  else for (const g of gs) items.push(build(g.name, g.versions));
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}
