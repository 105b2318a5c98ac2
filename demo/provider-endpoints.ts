// Local stand-ins for Nutanix Prism Central and Proxmox VE: just enough API to answer butler-server's provider
// connectivity checks and provider discovery (docs/api.md §5). HTTPS with the simulator's self-signed certificate (plain HTTP when openssl is
// missing), bound to loopback only.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { servingCert } from '../sim/tls.js';

export interface ProviderCredentials {
  nutanix: { username: string; password: string };
  proxmox: { tokenId: string; tokenSecret: string };
}

export interface ProviderEndpoints {
  /** Base URL of the Prism Central stand-in, e.g. https://127.0.0.1:40123 */
  nutanixUrl: string;
  /** Base URL of the Proxmox VE stand-in. */
  proxmoxUrl: string;
  /** True when they serve TLS (self-signed, so ProviderConfigs set `insecure`). */
  tls: boolean;
  credentials: ProviderCredentials;
  stop(): Promise<void>;
}

export const PROXMOX_VERSION = '8.2.4';
const MAX_BODY = 64 * 1024;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function basicAuth(header: string | undefined): { username: string; password: string } | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Prism Central's v3 list answer of `kind`. */
const v3List = (kind: string, entities: object[]) => ({
  api_version: '3.1',
  metadata: { kind, total_matches: entities.length, length: entities.length, offset: 0 },
  entities,
});

const NUTANIX_CLUSTER_UUID = '0005a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b';

/** What the Prism Central stand-in lists: POST …/v3/<kind>s/list, and the v2.0 storage containers. */
const NUTANIX_LISTS: Record<string, object> = {
  '/api/nutanix/v3/clusters/list': v3List('cluster', [
    {
      metadata: { kind: 'cluster', uuid: NUTANIX_CLUSTER_UUID },
      spec: { name: 'demo-ahv-cluster' },
      status: { state: 'COMPLETE', resources: { config: { software_map: { NOS: { version: '6.8' } } } } },
    },
    {
      metadata: { kind: 'cluster', uuid: '0005a1b2-0000-4000-8000-000000000c01' },
      spec: { name: 'prism-central' },
      status: { state: 'COMPLETE', resources: { config: { service_list: ['PRISM_CENTRAL'] } } },
    },
  ]),
  '/api/nutanix/v3/images/list': v3List('image', [
    {
      metadata: { kind: 'image', uuid: '7c0a4f1e-2b3d-4e5f-8a9b-0c1d2e3f4a01' },
      spec: {
        name: 'talos-1.8.3-nocloud',
        description: 'Talos nocloud image',
        resources: { image_type: 'DISK_IMAGE' },
      },
    },
    {
      metadata: { kind: 'image', uuid: '7c0a4f1e-2b3d-4e5f-8a9b-0c1d2e3f4a02' },
      spec: { name: 'rocky-9.4', resources: { image_type: 'DISK_IMAGE' } },
    },
  ]),
  '/api/nutanix/v3/subnets/list': v3List('subnet', [
    {
      metadata: { kind: 'subnet', uuid: '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b' },
      spec: { name: 'vm-network-120', resources: { subnet_type: 'VLAN', vlan_id: 120 } },
    },
    {
      metadata: { kind: 'subnet', uuid: '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5c' },
      spec: { name: 'storage-130', resources: { subnet_type: 'VLAN', vlan_id: 130 } },
    },
  ]),
};
const NUTANIX_STORAGE_CONTAINERS = '/PrismGateway/services/rest/v2.0/storage_containers/';

function nutanixHandler(creds: ProviderCredentials['nutanix']) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req).catch(() => undefined);
    const list = req.method === 'POST' ? NUTANIX_LISTS[req.url ?? ''] : undefined;
    const containers = req.method === 'GET' && req.url === NUTANIX_STORAGE_CONTAINERS;
    if (!list && !containers) {
      return sendJson(res, 404, { state: 'ERROR', message_list: [{ message: 'not found' }] });
    }
    const auth = basicAuth(req.headers.authorization);
    if (!auth || auth.username !== creds.username || auth.password !== creds.password) {
      return sendJson(res, 401, { state: 'ERROR', message_list: [{ message: 'Authentication required' }] });
    }
    if (body === undefined) return sendJson(res, 400, { state: 'ERROR' });
    if (list) return sendJson(res, 200, list);
    sendJson(res, 200, {
      metadata: { grand_total_entities: 2, total_entities: 2 },
      entities: [
        {
          storage_container_uuid: '5a6b7c8d-1e2f-4a3b-9c4d-5e6f7a8b9c01',
          name: 'default-container',
          cluster_uuid: NUTANIX_CLUSTER_UUID,
        },
        {
          storage_container_uuid: '5a6b7c8d-1e2f-4a3b-9c4d-5e6f7a8b9c02',
          name: 'butler-vms',
          cluster_uuid: NUTANIX_CLUSTER_UUID,
        },
      ],
    });
  };
}

/** The Proxmox VE stand-in's two nodes: their VMs (templates among them), bridges and VM-image storages. */
const PROXMOX_NODES: Record<string, { qemu: object[]; network: object[]; storage: object[] }> = {
  pve1: {
    qemu: [
      { vmid: 9000, name: 'talos-1-8-template', template: 1, status: 'stopped' },
      { vmid: 101, name: 'legacy-worker-1', status: 'running' },
    ],
    network: [
      { iface: 'vmbr0', type: 'bridge', active: 1, comments: 'LAN\n' },
      { iface: 'vmbr1', type: 'OVSBridge', active: 1 },
    ],
    storage: [
      { storage: 'local-lvm', type: 'lvmthin', content: 'images,rootdir', active: 1, enabled: 1 },
      { storage: 'ceph-vm', type: 'rbd', content: 'images', active: 1, enabled: 1, shared: 1 },
    ],
  },
  pve2: {
    qemu: [{ vmid: 9001, name: 'ubuntu-24-04-template', template: 1, status: 'stopped' }],
    network: [{ iface: 'vmbr0', type: 'bridge', active: 1, comments: 'LAN\n' }],
    storage: [
      { storage: 'local-lvm', type: 'lvmthin', content: 'images,rootdir', active: 1, enabled: 1 },
      { storage: 'ceph-vm', type: 'rbd', content: 'images', active: 1, enabled: 1, shared: 1 },
    ],
  },
};

/** The data of a Proxmox GET path, or undefined for a path the stand-in does not serve. */
function proxmoxData(url: string): unknown {
  if (url === '/api2/json/version') return { version: PROXMOX_VERSION, release: '8.2', repoid: 'faa83925c9641325' };
  if (url === '/api2/json/nodes') return Object.keys(PROXMOX_NODES).map((node) => ({ node, status: 'online' }));
  const m = /^\/api2\/json\/nodes\/([^/?]+)\/(qemu|network\?type=any_bridge|storage\?content=images)$/.exec(url);
  const node = m ? PROXMOX_NODES[m[1]!] : undefined;
  if (!m || !node) return undefined;
  return m[2] === 'qemu' ? node.qemu : m[2]!.startsWith('network') ? node.network : node.storage;
}

function proxmoxHandler(creds: ProviderCredentials['proxmox']) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    await readBody(req).catch(() => undefined);
    const data = req.method === 'GET' ? proxmoxData(req.url ?? '') : undefined;
    if (data === undefined) return sendJson(res, 404, { data: null });
    if (req.headers.authorization !== `PVEAPIToken=${creds.tokenId}=${creds.tokenSecret}`) {
      return sendJson(res, 401, { data: null });
    }
    sendJson(res, 200, { data });
  };
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<{
  server: Server;
  url: string;
}> {
  const cert = servingCert();
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handler(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  };
  const server: Server = cert
    ? (createHttpsServer({ key: cert.key, cert: cert.cert }, onRequest) as unknown as Server)
    : createHttpServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `${cert ? 'https' : 'http'}://127.0.0.1:${port}` };
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startProviderEndpoints(credentials: ProviderCredentials): Promise<ProviderEndpoints> {
  const nutanix = await listen(nutanixHandler(credentials.nutanix));
  let proxmox: { server: Server; url: string };
  try {
    proxmox = await listen(proxmoxHandler(credentials.proxmox));
  } catch (err) {
    await close(nutanix.server);
    throw err;
  }
  return {
    nutanixUrl: nutanix.url,
    proxmoxUrl: proxmox.url,
    tls: nutanix.url.startsWith('https:'),
    credentials,
    async stop() {
      await Promise.all([close(nutanix.server), close(proxmox.server)]);
    },
  };
}
