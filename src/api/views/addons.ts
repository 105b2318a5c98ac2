// Addon views: InstalledAddon (docs/api.md §3.4, status mapping §9.4), ManagementAddonView (§3.5), catalog (§3.3).
export type AddonStatus =
  'Installed' | 'Installing' | 'Upgrading' | 'Failed' | 'Degraded' | 'Pending' | 'Deleting' | 'Unknown';

const STATUS_MAP: Record<string, AddonStatus> = {
  Installed: 'Installed',
  Healthy: 'Installed',
  Installing: 'Installing',
  Progressing: 'Installing',
  Upgrading: 'Upgrading',
  Degraded: 'Degraded',
  Failed: 'Failed',
  Unhealthy: 'Failed',
  Pending: 'Pending',
  Deleting: 'Deleting',
};

export function mapAddonStatus(value: string | undefined, deleting = false): AddonStatus {
  if (deleting) return 'Deleting';
  if (!value) return 'Pending';
  return STATUS_MAP[value] ?? 'Unknown';
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface InstalledAddon {
  name: string;
  resourceName?: string;
  displayName: string;
  status: AddonStatus;
  phase?: string;
  version?: string;
  installedVersion?: string;
  managedBy: 'platform' | 'butler';
  namespace?: string;
  message?: string;
  helmRelease?: { name?: string; namespace?: string; revision?: number; status?: string; version?: string };
  conditions?: Condition[];
}

export interface TenantAddonObject {
  metadata: {
    name: string;
    namespace?: string;
    deletionTimestamp?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
  };
  spec?: {
    clusterRef?: { name?: string };
    addon?: string;
    version?: string;
    values?: Record<string, unknown>;
    helm?: { releaseName?: string; chart?: string; repository?: string; namespace?: string; createNamespace?: boolean };
  };
  status?: {
    phase?: string;
    installedVersion?: string;
    message?: string;
    helmRelease?: InstalledAddon['helmRelease'];
    conditions?: (Condition & Record<string, unknown>)[];
  };
}

export interface ObservedAddon {
  name?: string;
  status?: string;
  version?: string;
  managedBy?: string;
}

export function tenantAddonDisplayName(a: TenantAddonObject): string {
  return a.spec?.addon || a.spec?.helm?.releaseName || a.spec?.helm?.chart || a.metadata.name;
}

function withoutEmpty<T extends object>(o: T): T {
  for (const [k, v] of Object.entries(o))
    if (v === undefined || v === '' || v === null) delete (o as Record<string, unknown>)[k];
  return o;
}

export function fromTenantAddon(a: TenantAddonObject, displayNames: Map<string, string>): InstalledAddon {
  const name = tenantAddonDisplayName(a);
  const helm = a.status?.helmRelease;
  const view: InstalledAddon = {
    name,
    resourceName: a.metadata.name,
    displayName: displayNames.get(name) || name,
    status: mapAddonStatus(a.status?.phase, Boolean(a.metadata.deletionTimestamp)),
    phase: a.status?.phase,
    version: a.spec?.version,
    installedVersion: a.status?.installedVersion,
    managedBy: 'butler',
    namespace: helm?.namespace,
    message: a.status?.message,
  };
  if (helm && Object.keys(helm).length) view.helmRelease = withoutEmpty({ ...helm });
  if (a.status?.conditions?.length)
    view.conditions = a.status.conditions.map((c) =>
      withoutEmpty({ type: c.type, status: c.status, reason: c.reason, message: c.message }),
    );
  return withoutEmpty(view);
}

export function fromObservedAddon(o: ObservedAddon, displayNames: Map<string, string>): InstalledAddon {
  const name = o.name ?? '';
  return withoutEmpty({
    name,
    displayName: displayNames.get(name) || name,
    status: mapAddonStatus(o.status),
    phase: o.status,
    // The console reads `version`; a platform entry only knows the installed one.
    version: o.version,
    installedVersion: o.version,
    managedBy: 'platform' as const,
  });
}

export interface AddonDefinitionObject {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: {
    displayName?: string;
    description?: string;
    category?: string;
    icon?: string;
    chart?: { repository?: string; name?: string; defaultVersion?: string; availableVersions?: string[] };
    defaults?: { namespace?: string };
    platform?: boolean;
    dependsOn?: string[];
    links?: { documentation?: string; source?: string; homepage?: string };
  };
}

export interface AddonDefinitionView {
  name: string;
  displayName: string;
  description: string;
  category: string;
  icon?: string;
  chartRepository: string;
  chartName: string;
  defaultVersion: string;
  availableVersions?: string[];
  defaultNamespace?: string;
  platform: boolean;
  dependsOn?: string[];
  source: 'builtin' | 'custom';
  links?: { documentation?: string; source?: string; homepage?: string };
}

export function toDefinitionView(d: AddonDefinitionObject): AddonDefinitionView {
  const s = d.spec ?? {};
  const view: AddonDefinitionView = {
    name: d.metadata.name,
    displayName: s.displayName || d.metadata.name,
    description: s.description ?? '',
    category: s.category ?? 'other',
    icon: s.icon || undefined,
    chartRepository: s.chart?.repository ?? '',
    chartName: s.chart?.name ?? '',
    defaultVersion: s.chart?.defaultVersion ?? '',
    availableVersions: s.chart?.availableVersions?.length ? s.chart.availableVersions : undefined,
    defaultNamespace: s.defaults?.namespace || undefined,
    platform: s.platform === true,
    dependsOn: s.dependsOn?.length ? s.dependsOn : undefined,
    source: d.metadata.labels?.['butler.butlerlabs.dev/source'] === 'builtin' ? 'builtin' : 'custom',
  };
  if (s.links) {
    const links = withoutEmpty({
      documentation: s.links.documentation,
      source: s.links.source,
      homepage: s.links.homepage,
    });
    if (Object.keys(links).length) view.links = links;
  }
  for (const k of ['icon', 'availableVersions', 'defaultNamespace', 'dependsOn'] as const)
    if (view[k] === undefined) delete view[k];
  return view;
}

export const CATEGORIES: Record<string, { displayName: string; description: string; icon: string }> = {
  cni: { displayName: 'Networking (CNI)', description: 'Pod networking and network policy', icon: '🌐' },
  loadbalancer: {
    displayName: 'Load Balancing',
    description: 'Service load balancers for bare-metal and on-premises clusters',
    icon: '⚖️',
  },
  storage: { displayName: 'Storage', description: 'Persistent volumes and storage classes', icon: '💾' },
  certmanager: { displayName: 'Certificates', description: 'TLS certificate issuance and renewal', icon: '🔐' },
  ingress: { displayName: 'Ingress', description: 'HTTP routing into the cluster', icon: '🚪' },
  observability: { displayName: 'Observability', description: 'Metrics, logs and tracing', icon: '📊' },
  backup: { displayName: 'Backup', description: 'Backup and restore of cluster resources and volumes', icon: '🗄️' },
  gitops: { displayName: 'GitOps', description: 'Continuous delivery from Git repositories', icon: '🔄' },
  security: { displayName: 'Security', description: 'Policy, scanning and runtime security', icon: '🛡️' },
  other: { displayName: 'Other', description: 'Everything else', icon: '📦' },
};

/** Platform first, then category, then name; categories in use from the fixed set, by name. */
export function buildCatalog(defs: AddonDefinitionObject[]) {
  const addons = defs.map(toDefinitionView).sort((a, b) => {
    if (a.platform !== b.platform) return a.platform ? -1 : 1;
    if (a.category !== b.category) return a.category < b.category ? -1 : 1;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  const used = [...new Set(addons.map((a) => a.category))].filter((c) => c in CATEGORIES).sort();
  return { addons, categories: used.map((name) => ({ name, ...CATEGORIES[name]! })) };
}

export interface ManagementAddonObject {
  metadata: { name: string; resourceVersion?: string };
  spec?: { addon?: string; version?: string; values?: Record<string, unknown> };
  status?: { phase?: string; installedVersion?: string; message?: string };
}

export interface ManagementAddonView {
  name: string;
  addon: string;
  displayName: string;
  version?: string;
  status: { phase: string; installedVersion?: string; message?: string };
}

export function toManagementAddonView(
  m: ManagementAddonObject,
  displayNames: Map<string, string>,
): ManagementAddonView {
  const addon = m.spec?.addon || m.metadata.name;
  return withoutEmpty({
    name: m.metadata.name,
    addon,
    displayName: displayNames.get(addon) || addon,
    version: m.spec?.version,
    status: withoutEmpty({
      phase: m.status?.phase || 'Pending',
      installedVersion: m.status?.installedVersion,
      message: m.status?.message,
    }),
  });
}
