// Provider discovery for the cluster create form (docs/api.md §5.1): images, networks, Nutanix clusters and storage
// containers of a stored provider, each a list of {name, id, ...}. Every request goes through the same guarded
// outbound path as the connectivity checks (address guard, TLS rules, one deadline per request, capped body).
import type { SanitizedKubeconfig } from '../kube/kubeconfig-check.js';
import {
  baseUrl,
  harvesterRequest,
  isObj,
  isOutcome,
  join,
  parseJson,
  proxmoxUrl,
  send,
  statusOutcome,
  type CheckEnv,
  type CheckReason,
  type ProviderConnection,
} from './checks.js';
import type { OutboundTls } from './outbound.js';

export type DiscoveryKind = 'images' | 'networks' | 'clusters' | 'storage-containers';

export interface DiscoveredItem {
  name: string;
  id: string;
  description?: string;
  os?: string;
  vlan?: number;
  /** Proxmox: the nodes that have it. */
  nodes?: string[];
}

/** At most this many items per answer, and per Kubernetes/Prism page asked for. */
export const MAX_ITEMS = 500;
/** Proxmox: at most this many nodes are asked. */
export const MAX_PROXMOX_NODES = 16;

/** Discovery could not get an answer; the message is safe to show (no credentials, no bodies). */
export class DiscoveryFailure extends Error {
  constructor(
    readonly reason: CheckReason | 'Unsupported',
    message: string,
  ) {
    super(message);
    this.name = 'DiscoveryFailure';
  }
}

type Json = Record<string, unknown>;
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** OS family guessed from an image name, as the console shows it. */
export function osOf(name: string): string {
  const n = name.toLowerCase();
  for (const os of ['talos', 'rocky', 'ubuntu', 'debian', 'centos', 'flatcar']) if (n.includes(os)) return os;
  if (n.includes('rhel') || n.includes('redhat')) return 'rhel';
  return 'linux';
}

async function fetchJson(
  env: CheckEnv,
  url: URL,
  method: 'GET' | 'POST',
  headers: Record<string, string>,
  tls: OutboundTls,
  body?: string,
): Promise<unknown> {
  const res = await send(env, url, method, headers, tls, body);
  if (isOutcome(res)) throw new DiscoveryFailure(res.reason, res.message);
  const byStatus = statusOutcome(res);
  if (byStatus) throw new DiscoveryFailure(byStatus.reason, byStatus.message);
  const json = parseJson(res.body);
  if (json === undefined)
    throw new DiscoveryFailure('APIError', `unexpected response: ${url.hostname} did not answer JSON`);
  return json;
}

const unsupported = (kind: DiscoveryKind, provider: string) =>
  new DiscoveryFailure('Unsupported', `${kind} cannot be listed for ${provider} providers`);

const byName = (a: DiscoveredItem, b: DiscoveredItem) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id);

// ---- Harvester: the cluster's Kubernetes API

async function harvesterList(env: CheckEnv, kc: SanitizedKubeconfig, apiPath: string): Promise<Json[]> {
  const { headers, tls } = harvesterRequest(kc);
  const url = join(baseUrl(kc.cluster.server), apiPath);
  url.searchParams.set('limit', String(MAX_ITEMS));
  const json = await fetchJson(env, url, 'GET', headers, tls);
  if (!isObj(json) || !Array.isArray(json.items))
    throw new DiscoveryFailure('APIError', `unexpected response: ${url.hostname} did not answer a Kubernetes list`);
  return json.items.filter(isObj);
}

const metaOf = (o: Json) => (isObj(o.metadata) ? o.metadata : {});
const specOf = (o: Json) => (isObj(o.spec) ? o.spec : {});

async function harvester(env: CheckEnv, kc: SanitizedKubeconfig, kind: DiscoveryKind): Promise<DiscoveredItem[]> {
  if (kind === 'images') {
    const items = await harvesterList(env, kc, '/apis/harvesterhci.io/v1beta1/virtualmachineimages');
    return items.map((o) => {
      const m = metaOf(o);
      const s = specOf(o);
      const name = text(s.displayName) ?? String(m.name ?? '');
      const description = text(s.description);
      return {
        name,
        id: `${String(m.namespace ?? '')}/${String(m.name ?? '')}`,
        os: osOf(`${String(m.name ?? '')} ${name}`),
        ...(description ? { description } : {}),
      };
    });
  }
  if (kind === 'networks') {
    const items = await harvesterList(env, kc, '/apis/k8s.cni.cncf.io/v1/network-attachment-definitions');
    return items.map((o) => {
      const m = metaOf(o);
      let vlan: number | undefined;
      try {
        const cni = JSON.parse(String(specOf(o).config ?? '{}')) as Json;
        if (typeof cni.vlan === 'number') vlan = cni.vlan;
      } catch {
        // a NetworkAttachmentDefinition without a readable CNI config: listed without VLAN
      }
      const name = String(m.name ?? '');
      return {
        name,
        id: `${String(m.namespace ?? '')}/${name}`,
        ...(vlan !== undefined ? { vlan, description: `${name} (VLAN ${vlan})` } : {}),
      };
    });
  }
  throw unsupported(kind, 'harvester');
}

// ---- Nutanix: Prism Central (v3 lists; storage containers from the Prism v2.0 API, which v3 does not offer)

type NutanixConn = Extract<ProviderConnection, { provider: 'nutanix' }>;

async function nutanixCall(env: CheckEnv, c: NutanixConn, apiPath: string, body?: Json): Promise<Json[]> {
  const url = join(baseUrl(c.endpoint, { defaultPort: c.port ?? 9440 }), apiPath);
  const headers = {
    accept: 'application/json',
    authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`,
    ...(body ? { 'content-type': 'application/json' } : {}),
  };
  const tls = { insecure: c.insecure === true };
  const json = await fetchJson(env, url, body ? 'POST' : 'GET', headers, tls, body && JSON.stringify(body));
  if (!isObj(json) || !Array.isArray(json.entities))
    throw new DiscoveryFailure(
      'APIError',
      `unexpected response: ${url.hostname} does not look like a Prism Central API`,
    );
  return json.entities.filter(isObj);
}

const v3List = (env: CheckEnv, c: NutanixConn, what: 'image' | 'subnet' | 'cluster') =>
  nutanixCall(env, c, `/api/nutanix/v3/${what}s/list`, { kind: what, length: MAX_ITEMS });

async function nutanix(env: CheckEnv, c: NutanixConn, kind: DiscoveryKind): Promise<DiscoveredItem[]> {
  const uuid = (o: Json) => String(metaOf(o).uuid ?? '');
  const name = (o: Json) => String(specOf(o).name ?? '');
  switch (kind) {
    case 'images':
      return (await v3List(env, c, 'image')).map((o) => {
        const description = text(specOf(o).description);
        return { name: name(o), id: uuid(o), os: osOf(name(o)), ...(description ? { description } : {}) };
      });
    case 'networks':
      return (await v3List(env, c, 'subnet')).map((o) => {
        const resources = isObj(specOf(o).resources) ? (specOf(o).resources as Json) : {};
        const vlan = typeof resources.vlan_id === 'number' ? resources.vlan_id : undefined;
        return {
          name: name(o),
          id: uuid(o),
          ...(vlan !== undefined ? { vlan, description: `${name(o)} (VLAN ${vlan})` } : {}),
        };
      });
    case 'clusters':
      // Prism Central lists itself as a cluster too; only Prism Element clusters can run machines.
      return (await v3List(env, c, 'cluster'))
        .filter((o) => {
          const status = isObj(o.status) ? o.status : {};
          const resources = isObj(status.resources) ? status.resources : {};
          const config = isObj(resources.config) ? resources.config : {};
          return !(Array.isArray(config.service_list) && config.service_list.includes('PRISM_CENTRAL'));
        })
        .map((o) => ({ name: name(o), id: uuid(o) }));
    case 'storage-containers':
      return (await nutanixCall(env, c, '/PrismGateway/services/rest/v2.0/storage_containers/')).map((o) => ({
        name: String(o.name ?? ''),
        id: String(o.storage_container_uuid ?? ''),
      }));
  }
}

// ---- Proxmox VE: templates, bridges and storages of the provider's nodes

type ProxmoxConn = Extract<ProviderConnection, { provider: 'proxmox' }>;

async function proxmoxAuth(env: CheckEnv, c: ProxmoxConn): Promise<Record<string, string>> {
  if (c.tokenId && c.tokenSecret) return { authorization: `PVEAPIToken=${c.tokenId}=${c.tokenSecret}` };
  const body = new URLSearchParams({ username: c.username ?? '', password: c.password ?? '' }).toString();
  const json = await fetchJson(
    env,
    proxmoxUrl(c.endpoint, '/access/ticket'),
    'POST',
    { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    { insecure: c.insecure === true },
    body,
  );
  const ticket = isObj(json) && isObj(json.data) ? text(json.data.ticket) : undefined;
  if (!ticket) throw new DiscoveryFailure('AuthenticationFailed', 'authentication failed: invalid credentials');
  return { cookie: `PVEAuthCookie=${ticket}` };
}

async function proxmoxData(
  env: CheckEnv,
  c: ProxmoxConn,
  auth: Record<string, string>,
  apiPath: string,
  query: Record<string, string> = {},
) {
  const url = proxmoxUrl(c.endpoint, apiPath);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const json = await fetchJson(
    env,
    url,
    'GET',
    { accept: 'application/json', ...auth },
    { insecure: c.insecure === true },
  );
  if (!isObj(json) || !Array.isArray(json.data))
    throw new DiscoveryFailure('APIError', `unexpected response: ${url.hostname} does not look like a Proxmox VE API`);
  return json.data.filter(isObj);
}

/** Items found on several nodes become one, listing its nodes. */
function mergeByNode(perNode: { node: string; items: DiscoveredItem[] }[]): DiscoveredItem[] {
  const merged = new Map<string, DiscoveredItem>();
  for (const { node, items } of perNode)
    for (const item of items) {
      const seen = merged.get(item.id);
      if (seen) seen.nodes = [...(seen.nodes ?? []), node];
      else merged.set(item.id, { ...item, nodes: [node] });
    }
  return [...merged.values()];
}

async function proxmox(
  env: CheckEnv,
  c: ProxmoxConn,
  kind: DiscoveryKind,
  configuredNodes: string[],
): Promise<DiscoveredItem[]> {
  if (kind === 'clusters') throw unsupported(kind, 'proxmox');
  const auth = await proxmoxAuth(env, c);
  const nodes = configuredNodes.length
    ? configuredNodes
    : (await proxmoxData(env, c, auth, '/nodes')).map((n) => String(n.node ?? '')).filter(Boolean);
  const node = (n: string) => `/nodes/${encodeURIComponent(n)}`;
  const perNode = await Promise.all(
    nodes.slice(0, MAX_PROXMOX_NODES).map(async (n) => {
      let items: DiscoveredItem[];
      if (kind === 'images') {
        items = (await proxmoxData(env, c, auth, `${node(n)}/qemu`))
          .filter((vm) => vm.template === 1 || vm.template === '1')
          .map((vm) => {
            const name = String(vm.name ?? `template-${String(vm.vmid)}`);
            return { name, id: String(vm.vmid ?? ''), os: osOf(name), description: `template ${String(vm.vmid)}` };
          });
      } else if (kind === 'networks') {
        items = (await proxmoxData(env, c, auth, `${node(n)}/network`, { type: 'any_bridge' })).map((br) => {
          const iface = String(br.iface ?? '');
          const comment = text(br.comments)?.trim();
          return { name: iface, id: iface, ...(comment ? { description: comment } : {}) };
        });
      } else {
        items = (await proxmoxData(env, c, auth, `${node(n)}/storage`, { content: 'images' })).map((st) => {
          const name = String(st.storage ?? '');
          return { name, id: name, ...(text(st.type) ? { description: String(st.type) } : {}) };
        });
      }
      return { node: n, items };
    }),
  );
  return mergeByNode(perNode);
}

/** Lists `kind` of a provider; throws DiscoveryFailure when the provider cannot answer it. */
export async function discover(
  env: CheckEnv,
  connection: ProviderConnection,
  kind: DiscoveryKind,
  opts: { proxmoxNodes?: string[] } = {},
): Promise<DiscoveredItem[]> {
  let items: DiscoveredItem[];
  switch (connection.provider) {
    case 'harvester':
      items = await harvester(env, connection.kubeconfig, kind);
      break;
    case 'nutanix':
      items = await nutanix(env, connection, kind);
      break;
    case 'proxmox':
      items = await proxmox(env, connection, kind, opts.proxmoxNodes ?? []);
      break;
  }
  return items
    .filter((i) => i.id !== '' && i.name !== '')
    .sort(byName)
    .slice(0, MAX_ITEMS);
}
