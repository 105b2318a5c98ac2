// Server URL, TLS material and Authorization of a KubeConfig, for the raw upgrade connections that KubeClient
// (request/response only) does not make. Refreshed every minute, as token files are rotated.
import type { AgentOptions, RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export interface UpstreamCredentials {
  server: URL;
  headers: Record<string, string>;
  tls: AgentOptions;
}

const REFRESH_MS = 60_000;
const cache = new WeakMap<KubeConfig, { at: number; value: Promise<UpstreamCredentials> }>();

async function load(kc: KubeConfig): Promise<UpstreamCredentials> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const o: RequestOptions = { headers: {} };
  // applyOptions (TLS material and Authorization) without applyToHTTPSOptions' agent, which refuses http servers.
  const applyOptions = (kc as unknown as { applyOptions?: (o: RequestOptions) => Promise<void> }).applyOptions;
  if (typeof applyOptions === 'function') {
    await applyOptions.call(kc, o);
    const user = kc.getCurrentUser();
    if (user?.username) o.auth = `${user.username}:${user.password ?? ''}`;
  } else {
    await kc.applyToHTTPSOptions(o);
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.headers ?? {})) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  if (o.auth) headers.authorization = `Basic ${Buffer.from(o.auth).toString('base64')}`;
  const tls: AgentOptions = {};
  if (o.ca) tls.ca = o.ca;
  if (o.cert) tls.cert = o.cert;
  if (o.key) tls.key = o.key;
  if (o.rejectUnauthorized !== undefined) tls.rejectUnauthorized = o.rejectUnauthorized;
  if (o.servername) tls.servername = o.servername;
  return { server: new URL(cluster.server), headers, tls };
}

export function upstreamCredentials(kc: KubeConfig): Promise<UpstreamCredentials> {
  const hit = cache.get(kc);
  if (hit && Date.now() - hit.at < REFRESH_MS) return hit.value;
  const value = load(kc);
  cache.set(kc, { at: Date.now(), value });
  value.catch(() => cache.delete(kc));
  return value;
}
