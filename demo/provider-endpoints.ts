// Local stand-ins for Nutanix Prism Central and Proxmox VE: just enough API to answer butler-server's provider
// connectivity checks (docs/api.md §5). HTTPS with the simulator's self-signed certificate (plain HTTP when openssl is
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

function nutanixHandler(creds: ProviderCredentials['nutanix']) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req).catch(() => undefined);
    if (req.method !== 'POST' || req.url !== '/api/nutanix/v3/clusters/list') {
      return sendJson(res, 404, { state: 'ERROR', message_list: [{ message: 'not found' }] });
    }
    const auth = basicAuth(req.headers.authorization);
    if (!auth || auth.username !== creds.username || auth.password !== creds.password) {
      return sendJson(res, 401, { state: 'ERROR', message_list: [{ message: 'Authentication required' }] });
    }
    if (body === undefined) return sendJson(res, 400, { state: 'ERROR' });
    sendJson(res, 200, {
      api_version: '3.1',
      metadata: { kind: 'cluster', total_matches: 1, length: 1, offset: 0 },
      entities: [
        {
          metadata: { kind: 'cluster', uuid: '0005a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b' },
          spec: { name: 'demo-ahv-cluster' },
          status: { state: 'COMPLETE', resources: { config: { software_map: { NOS: { version: '6.8' } } } } },
        },
      ],
    });
  };
}

function proxmoxHandler(creds: ProviderCredentials['proxmox']) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    await readBody(req).catch(() => undefined);
    if (req.method !== 'GET' || req.url !== '/api2/json/version') return sendJson(res, 404, { data: null });
    if (req.headers.authorization !== `PVEAPIToken=${creds.tokenId}=${creds.tokenSecret}`) {
      return sendJson(res, 401, { data: null });
    }
    sendJson(res, 200, { data: { version: PROXMOX_VERSION, release: '8.2', repoid: 'faa83925c9641325' } });
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
