// Connectivity checks of docs/api.md §5 for harvester, nutanix and proxmox: one guarded request each, and the
// outcome as a ValidationResult-style value (never throws for connectivity problems).
import type { SanitizedKubeconfig } from '../kube/kubeconfig-check.js';
import type { AddressGuard } from '../net/address-guard.js';
import { OutboundFailure, outboundRequest, type OutboundResponse, type OutboundTls } from './outbound.js';

export type CheckReason =
  | 'Connected'
  | 'AuthenticationFailed'
  | 'ConnectionFailed'
  | 'TLSError'
  | 'Blocked'
  | 'APIError'
  | 'InvalidCredentials';

export interface CheckOutcome {
  valid: boolean;
  message: string;
  reason: CheckReason;
  providerVersion?: string;
}

export type ProviderConnection =
  | { provider: 'harvester'; kubeconfig: SanitizedKubeconfig }
  | { provider: 'nutanix'; endpoint: string; port?: number; insecure?: boolean; username: string; password: string }
  | {
      provider: 'proxmox';
      endpoint: string;
      insecure?: boolean;
      tokenId?: string;
      tokenSecret?: string;
      username?: string;
      password?: string;
    };

export interface CheckEnv {
  guard: AddressGuard;
  timeoutMs: number;
}

const fail = (reason: CheckReason, message: string): CheckOutcome => ({ valid: false, message, reason });

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

export const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Status-based outcomes shared by all types; undefined for 2xx (the caller inspects the body). */
export function statusOutcome(res: OutboundResponse): CheckOutcome | undefined {
  if (res.status === 401 || res.status === 403)
    return fail('AuthenticationFailed', `authentication failed: invalid credentials (HTTP ${res.status})`);
  if (res.status >= 300 && res.status < 400)
    return fail('APIError', `endpoint answered with a redirect (HTTP ${res.status}); use the final API address`);
  if (res.status >= 400 || res.status < 200) return fail('APIError', `API error: HTTP ${res.status}`);
  return undefined;
}

function unexpected(url: URL, what: string): CheckOutcome {
  return fail('APIError', `unexpected response: ${url.hostname} does not look like a ${what} API`);
}

export async function send(
  env: CheckEnv,
  url: URL,
  method: 'GET' | 'POST',
  headers: Record<string, string>,
  tls: OutboundTls,
  body?: string,
): Promise<OutboundResponse | CheckOutcome> {
  try {
    return await outboundRequest({ url, method, headers, body, tls, timeoutMs: env.timeoutMs, guard: env.guard });
  } catch (err) {
    if (err instanceof OutboundFailure) return fail(err.reason, err.message);
    return fail('ConnectionFailed', 'connection failed: unexpected error');
  }
}

export const isOutcome = (v: OutboundResponse | CheckOutcome): v is CheckOutcome => 'valid' in v;

/** Strips trailing slashes (and for Proxmox a trailing /api2/json) from the endpoint's path. */
export function baseUrl(endpoint: string, opts: { defaultPort?: number; stripApi2?: boolean } = {}): URL {
  const url = new URL(endpoint);
  let path = url.pathname.replace(/\/+$/, '');
  if (opts.stripApi2) path = path.replace(/\/api2\/json$/, '');
  url.pathname = path;
  url.search = '';
  url.hash = '';
  if (!url.port && opts.defaultPort) url.port = String(opts.defaultPort);
  return url;
}

export function join(base: URL, apiPath: string): URL {
  const url = new URL(base.href);
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${apiPath}`;
  return url;
}

export function nutanixUrl(endpoint: string, port = 9440): URL {
  return join(baseUrl(endpoint, { defaultPort: port }), '/api/nutanix/v3/clusters/list');
}

export function proxmoxUrl(endpoint: string, apiPath: string): URL {
  return join(baseUrl(endpoint, { stripApi2: true }), `/api2/json${apiPath}`);
}

/** Headers and TLS settings of a request to a Harvester cluster's Kubernetes API from its (checked) kubeconfig. */
export function harvesterRequest(kc: SanitizedKubeconfig): { headers: Record<string, string>; tls: OutboundTls } {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (kc.user.token) headers.authorization = `Bearer ${kc.user.token}`;
  else if (kc.user.username !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${kc.user.username}:${kc.user.password ?? ''}`).toString('base64')}`;
  const tls: OutboundTls = {
    insecure: kc.cluster.skipTLSVerify,
    ca: kc.cluster.caData ? Buffer.from(kc.cluster.caData, 'base64') : undefined,
    cert: kc.user.certData ? Buffer.from(kc.user.certData, 'base64') : undefined,
    key: kc.user.keyData ? Buffer.from(kc.user.keyData, 'base64') : undefined,
    servername: kc.cluster.tlsServerName,
  };
  return { headers, tls };
}

async function checkHarvester(env: CheckEnv, kc: SanitizedKubeconfig): Promise<CheckOutcome> {
  const url = join(baseUrl(kc.cluster.server), '/version');
  const { headers, tls } = harvesterRequest(kc);
  const res = await send(env, url, 'GET', headers, tls);
  if (isOutcome(res)) return res;
  const byStatus = statusOutcome(res);
  if (byStatus) return byStatus;
  const json = parseJson(res.body);
  if (!isObj(json) || typeof json.gitVersion !== 'string') return unexpected(url, 'Kubernetes');
  return {
    valid: true,
    message: `Connected successfully (Kubernetes ${json.gitVersion})`,
    reason: 'Connected',
    providerVersion: json.gitVersion,
  };
}

async function checkNutanix(
  env: CheckEnv,
  c: Extract<ProviderConnection, { provider: 'nutanix' }>,
): Promise<CheckOutcome> {
  const url = nutanixUrl(c.endpoint, c.port);
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json',
    authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`,
  };
  const res = await send(env, url, 'POST', headers, { insecure: c.insecure === true }, '{"kind":"cluster"}');
  if (isOutcome(res)) return res;
  const byStatus = statusOutcome(res);
  if (byStatus) return byStatus;
  const json = parseJson(res.body);
  if (!isObj(json) || !(Array.isArray(json.entities) || isObj(json.metadata))) return unexpected(url, 'Prism Central');
  return { valid: true, message: 'Connected to Nutanix Prism Central successfully', reason: 'Connected' };
}

async function checkProxmox(
  env: CheckEnv,
  c: Extract<ProviderConnection, { provider: 'proxmox' }>,
): Promise<CheckOutcome> {
  const tls = { insecure: c.insecure === true };
  if (c.tokenId && c.tokenSecret) {
    const url = proxmoxUrl(c.endpoint, '/version');
    const res = await send(
      env,
      url,
      'GET',
      { accept: 'application/json', authorization: `PVEAPIToken=${c.tokenId}=${c.tokenSecret}` },
      tls,
    );
    if (isOutcome(res)) return res;
    const byStatus = statusOutcome(res);
    if (byStatus) return byStatus;
    const json = parseJson(res.body);
    const data = isObj(json) ? json.data : undefined;
    if (!isObj(data) || typeof data.version !== 'string') return unexpected(url, 'Proxmox VE');
    return {
      valid: true,
      message: `Connected to Proxmox VE successfully (version ${data.version})`,
      reason: 'Connected',
      providerVersion: data.version,
    };
  }
  if (c.username && c.password) {
    const url = proxmoxUrl(c.endpoint, '/access/ticket');
    const body = new URLSearchParams({ username: c.username, password: c.password }).toString();
    const headers = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };
    const res = await send(env, url, 'POST', headers, tls, body);
    if (isOutcome(res)) return res;
    const byStatus = statusOutcome(res);
    if (byStatus) return byStatus;
    const json = parseJson(res.body);
    if (!isObj(json) || !('data' in json)) return unexpected(url, 'Proxmox VE');
    if (!isObj(json.data) || typeof json.data.ticket !== 'string' || json.data.ticket === '')
      return fail('AuthenticationFailed', `authentication failed: invalid credentials (HTTP ${res.status})`);
    return { valid: true, message: 'Connected to Proxmox VE successfully', reason: 'Connected' };
  }
  return fail(
    'InvalidCredentials',
    'proxmox needs proxmoxTokenId and proxmoxTokenSecret, or proxmoxUsername and proxmoxPassword',
  );
}

export function runProviderCheck(env: CheckEnv, connection: ProviderConnection): Promise<CheckOutcome> {
  switch (connection.provider) {
    case 'harvester':
      return checkHarvester(env, connection.kubeconfig);
    case 'nutanix':
      return checkNutanix(env, connection);
    case 'proxmox':
      return checkProxmox(env, connection);
  }
}
