// How to reach the API server of a KubeConfig's current context: its URL, the Authorization header (token, token
// file, exec plugin of a trusted config, basic auth) and the TLS material. Loaded once per KubeConfig object and
// re-read every minute, as token files are rotated by the kubelet. KubeClient sends its requests with them; the
// proxy's upgrades and the terminal's exec sockets, which KubeClient does not make, use the same ones.
import type https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError } from './errors.js';

export interface ConnectOptions {
  server: URL;
  /** Lower-case header names: `authorization` and whatever else the kubeconfig's user adds. */
  headers: Record<string, string>;
  /** For https servers: CA, client certificate and key, servername, rejectUnauthorized. */
  tls: https.AgentOptions;
}

const REFRESH_MS = 60_000;

interface Entry {
  value?: ConnectOptions;
  at: number;
  pending?: Promise<ConnectOptions>;
}

const entries = new WeakMap<KubeConfig, Entry>();

async function load(kc: KubeConfig): Promise<ConnectOptions> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const o: https.RequestOptions = { headers: {} };
  // applyToHTTPSOptions also builds an agent and refuses plain-HTTP servers (the simulator's url, kubectl proxy);
  // its first step, applyOptions (TLS material + Authorization incl. token files and exec plugins), is all we need.
  const applyOptions = (kc as unknown as { applyOptions?: (o: https.RequestOptions) => Promise<void> }).applyOptions;
  if (typeof applyOptions !== 'function') throw new Error('@kubernetes/client-node has no KubeConfig.applyOptions');
  await applyOptions.call(kc, o);
  const user = kc.getCurrentUser();
  if (user?.username) o.auth = `${user.username}:${user.password ?? ''}`;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.headers ?? {})) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  if (o.auth) headers.authorization = `Basic ${Buffer.from(o.auth).toString('base64')}`;
  const tls: https.AgentOptions = {};
  if (o.ca) tls.ca = o.ca;
  if (o.cert) tls.cert = o.cert;
  if (o.key) tls.key = o.key;
  if (o.rejectUnauthorized !== undefined) tls.rejectUnauthorized = o.rejectUnauthorized;
  if (o.servername) tls.servername = o.servername;
  return { server: new URL(cluster.server), headers, tls };
}

/**
 * The current connect options of `kc`; concurrent callers share one load. When a refresh fails the previous
 * options are kept (a token file being rewritten); a first load that fails throws KubeApiError 'unavailable'
 * naming `clientName` only (the cause may quote the kubeconfig).
 */
export async function connectOptions(kc: KubeConfig, clientName: string): Promise<ConnectOptions> {
  let entry = entries.get(kc);
  if (!entry) entries.set(kc, (entry = { at: 0 }));
  if (entry.value && Date.now() - entry.at < REFRESH_MS) return entry.value;
  const e = entry;
  e.pending ??= load(kc).finally(() => {
    e.pending = undefined;
  });
  try {
    e.value = await e.pending;
    e.at = Date.now();
  } catch (err) {
    if (!e.value)
      throw new KubeApiError('unavailable', `${clientName}: cannot load credentials`, { clientName, cause: err });
  }
  return e.value;
}
