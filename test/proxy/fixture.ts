// Shared set-up of the proxy tests: a management simulator with one ready TenantCluster whose admin kubeconfig
// points at a second (tenant) simulator, and the real server, over plain HTTP or TLS.
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { servingCert } from '../../sim/tls.js';
import { butlerCrds } from '../../sim/crds.js';
import { clusterAdminFor, markTenantClusterReady, startButlerSimulator, tenantClusterSeed } from '../helpers/sim.js';
import { startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../helpers/server.js';
import type { Services } from '../../src/services.js';

export const TENANT_NS = 'butler-tenants';
export const TENANT = 'dev';
export const TENANT_PREFIX = `/api/proxy/tenant/${TENANT_NS}/${TENANT}`;
export const MGMT_PREFIX = '/api/proxy/management';

export const node = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'node-role.kubernetes.io/worker': '' } },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});
export const namespace = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
export const pod = (ns: string, name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: { containers: [{ name: 'main', image: 'busybox' }] },
});

export interface ProxyEnv {
  mgmt: Simulator;
  tenant: Simulator;
  server: TestServer;
  /** Base URL of the server (https when started with tls). */
  url: string;
  token: string;
  cookie: string;
  /** PEM of the server's CA when it serves TLS. */
  ca?: string;
  close(): Promise<void>;
}

export interface ProxyEnvOptions {
  tls?: boolean;
  env?: Record<string, string>;
  tenantSeed?: object[];
  mgmtSeed?: object[];
  /** Give the tenant simulator the Butler CRDs too (for `kubectl get tc` there). */
  tenantCrds?: boolean;
  /** services.impersonationFor of the server. */
  impersonationFor?: Services['impersonationFor'];
}

export async function startProxyEnv(o: ProxyEnvOptions = {}): Promise<ProxyEnv> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const tenant = await startSimulator({
      crds: o.tenantCrds ? butlerCrds() : [],
      seed: [node('w1'), node('w2'), ...(o.tenantSeed ?? [])],
    });
    cleanups.push(() => tenant.stop());
    const fixture = { namespace: TENANT_NS, name: TENANT, tenantNamespace: 'tn-dev', kubeconfig: tenant.kubeconfig };
    const mgmt = await startButlerSimulator({
      bookmarkIntervalMs: 1000,
      // The proxy sends management requests as the user: the test admin gets full rights there, as a site would
      // give its platform admins (users other than admin@butler.local keep only the api-users role).
      seed: [
        namespace('tn-dev'),
        ...tenantClusterSeed(fixture),
        ...clusterAdminFor('admin@butler.local'),
        ...(o.mgmtSeed ?? []),
      ],
    });
    cleanups.push(() => mgmt.stop());
    await markTenantClusterReady(mgmt, fixture);
    const env: Record<string, string> = { BUTLER_PROVIDER_ALLOWED_CIDRS: '127.0.0.0/8', ...o.env };
    let ca: string | undefined;
    if (o.tls) {
      const cert = servingCert();
      if (!cert) throw new Error('openssl is needed for the TLS proxy tests');
      const dir = mkdtempSync(join(tmpdir(), 'butler-proxy-tls-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      writeFileSync(join(dir, 'cert.pem'), cert.cert);
      writeFileSync(join(dir, 'key.pem'), cert.key);
      env.BUTLER_TLS_CERT_FILE = join(dir, 'cert.pem');
      env.BUTLER_TLS_KEY_FILE = join(dir, 'key.pem');
      ca = cert.cert;
    }
    const server = await startTestServer({
      sim: mgmt,
      env,
      configureServices: (services) => {
        if (o.impersonationFor) services.impersonationFor = o.impersonationFor;
      },
    });
    cleanups.push(() => server.close());
    const login = await request(server.url, '/api/auth/login', {
      method: 'POST',
      ca,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: server.config.auth.adminUsername, password: TEST_ADMIN_PASSWORD }),
    });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
    const token = (JSON.parse(login.text) as { token: string }).token;
    const setCookie = ([] as string[]).concat(login.headers['set-cookie'] ?? []);
    const cookie = setCookie.find((c) => c.startsWith('butler_session='))?.split(';')[0] ?? '';
    return { mgmt, tenant, server, url: server.url, token, cookie, ca, close: cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  ca?: string;
  timeoutMs?: number;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** Opens a request and resolves with the response as soon as its headers arrived (the body still streaming). */
export function open(base: string, path: string, o: RequestOptions = {}): Promise<IncomingMessage> {
  const url = new URL(base);
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    // The path goes out as written (new URL() would resolve dot segments).
    const req = mod.request({
      hostname: url.hostname,
      port: url.port,
      path,
      method: o.method ?? 'GET',
      headers: o.headers,
      agent: false,
      ...(o.ca ? { ca: o.ca } : {}),
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${o.timeoutMs ?? 10_000} ms`)),
      o.timeoutMs ?? 10_000,
    );
    req.on('response', (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(o.body);
  });
}

export async function readAll(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function request(base: string, path: string, o: RequestOptions = {}): Promise<Answer> {
  const res = await open(base, path, o);
  return { status: res.statusCode ?? 0, headers: res.headers, text: await readAll(res) };
}

export function json(a: Answer): any {
  try {
    return JSON.parse(a.text);
  } catch {
    throw new Error(`not JSON (HTTP ${a.status}): ${a.text.slice(0, 300)}`);
  }
}
