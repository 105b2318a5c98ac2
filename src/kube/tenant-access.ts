// Tenant cluster access (docs/api.md §9.2, §4): finds a TenantCluster's admin kubeconfig, checks it as untrusted input,
// and keeps one KubeClient per tenant cluster, rebuilt when the kubeconfig Secret's resourceVersion changes.
import { lookup } from 'node:dns/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { badGateway, HttpError, notFound } from '../http/errors.js';
import { paths } from './butler.js';
import type { AddressGuard } from '../net/address-guard.js';
import { parseIp } from '../net/ip.js';
import { createKubeClient, type KubeClient } from './client.js';
import { isKubeStatus, toHttpError } from './errors.js';
import {
  checkUntrustedKubeconfig,
  KubeconfigRejected,
  loadSanitizedKubeconfig,
  toKubeconfigYaml,
  type SanitizedKubeconfig,
} from './kubeconfig-check.js';

const KUBECONFIG_KEYS = ['admin.conf', 'super-admin.conf', 'value', 'kubeconfig'];
/** A tenant API server is not trusted: the largest answer (a whole LIST) read from one. */
export const TENANT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface TenantClusterObject {
  metadata?: { name?: string; namespace?: string };
  status?: { tenantNamespace?: string; kubeconfigSecretRef?: { name?: string }; phase?: string };
}

interface SecretObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  data?: Record<string, string>;
}

export interface StoredKubeconfig {
  /** The stored value, unchanged (for the kubeconfig download). */
  kubeconfig: string;
  secret: { namespace: string; name: string; key: string; resourceVersion: string };
}

export interface TenantKubeconfig extends StoredKubeconfig {
  sanitized: SanitizedKubeconfig;
  /** The sanitised current context as YAML: safe to hand to kubectl (no exec, no file references). */
  sanitizedYaml: string;
  /** Built with loadFromOptions from the sanitised object: never runs exec plugins or reads files. */
  kc: KubeConfig;
  /** Shared per tenant cluster; calls time out after config.tenantTimeoutMs. Do not close it. */
  client: KubeClient;
}

export interface TenantClusterAccess {
  /** §9.2 lookup. 404 `TenantCluster "<ns>/<name>" not found` / `kubeconfig for cluster "<ns>/<name>" is not available yet`. */
  getStoredKubeconfig(namespace: string, name: string): Promise<StoredKubeconfig>;
  /** Lookup + untrusted-kubeconfig check + cached client. 502 `tenant cluster kubeconfig is unusable` when rejected. */
  getTenantKubeconfig(namespace: string, name: string): Promise<TenantKubeconfig>;
  /** How many tenant clients are cached (one per cluster in use; a deleted cluster's goes on its next lookup). */
  readonly size: number;
  close(): void;
}

export interface TenantAccessOptions {
  tenantTimeoutMs: number;
  /** Address guard for tenant API servers (docs/api.md §4: the §5 guard applies when butler-server contacts them). */
  guard?: AddressGuard;
  /** Reads the TenantCluster (e.g. from the watch cache); falls back to a GET when it returns undefined. */
  getCluster?: (namespace: string, name: string) => TenantClusterObject | undefined;
  logger?: { warn(obj: object, msg: string): void };
  /** Default TENANT_MAX_RESPONSE_BYTES. */
  maxResponseBytes?: number;
}

const notAvailable = (ns: string, name: string) =>
  notFound(`kubeconfig for cluster "${ns}/${name}" is not available yet`);

async function checkServerAddress(server: string, guard: AddressGuard): Promise<void> {
  const host = new URL(server).hostname.replace(/^\[|\]$/g, '');
  const addresses = parseIp(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  for (const address of addresses) {
    const verdict = guard.check(address);
    if (!verdict.allowed)
      throw badGateway(`tenant cluster API address ${address} is not allowed (blocked range ${verdict.range})`);
  }
}

export function createTenantClusterAccess(kube: KubeClient, o: TenantAccessOptions): TenantClusterAccess {
  const clients = new Map<string, { version: string; value: TenantKubeconfig }>();

  async function getCluster(ns: string, name: string): Promise<TenantClusterObject> {
    const cached = o.getCluster?.(ns, name);
    if (cached) return cached;
    try {
      return await kube.request<TenantClusterObject>({
        method: 'GET',
        path: paths.tenantCluster(ns, name),
      });
    } catch (err) {
      throw toHttpError(err, { kind: 'TenantCluster', namespace: ns, name, verb: 'get', resource: 'tenantclusters' });
    }
  }

  async function getStoredKubeconfig(ns: string, name: string): Promise<StoredKubeconfig> {
    const cluster = await getCluster(ns, name);
    const tenantNs = cluster.status?.tenantNamespace;
    if (!tenantNs) throw notAvailable(ns, name);
    const candidates = [`${name}-admin-kubeconfig`, `${name}-kubeconfig`];
    const ref = cluster.status?.kubeconfigSecretRef?.name;
    if (ref && !candidates.includes(ref)) candidates.push(ref);
    for (const secretName of candidates) {
      let secret: SecretObject;
      try {
        secret = await kube.request<SecretObject>({
          method: 'GET',
          path: paths.secret(tenantNs, secretName),
        });
      } catch (err) {
        if (isKubeStatus(err, 404)) continue;
        throw toHttpError(err, {
          kind: 'Secret',
          namespace: tenantNs,
          name: secretName,
          verb: 'get',
          resource: 'secrets',
        });
      }
      for (const key of KUBECONFIG_KEYS) {
        const data = secret.data?.[key];
        if (!data) continue;
        const text = Buffer.from(data, 'base64').toString('utf8');
        if (!text.trim()) continue;
        return {
          kubeconfig: text,
          secret: {
            namespace: tenantNs,
            name: secretName,
            key,
            resourceVersion: secret.metadata?.resourceVersion ?? '',
          },
        };
      }
    }
    throw notAvailable(ns, name);
  }

  function forget(key: string): void {
    clients.get(key)?.value.client.close();
    clients.delete(key);
  }

  async function getTenantKubeconfig(ns: string, name: string): Promise<TenantKubeconfig> {
    const key = `${ns}/${name}`;
    let stored: StoredKubeconfig;
    try {
      stored = await getStoredKubeconfig(ns, name);
    } catch (err) {
      // The cluster or its kubeconfig is gone: so is the reason to keep its client (and its connections).
      if (err instanceof HttpError && err.status === 404) forget(key);
      throw err;
    }
    const version = `${stored.secret.namespace}/${stored.secret.name}/${stored.secret.key}@${stored.secret.resourceVersion}`;
    const existing = clients.get(key);
    if (existing && existing.version === version && stored.secret.resourceVersion !== '') return existing.value;
    let sanitized: SanitizedKubeconfig;
    try {
      sanitized = checkUntrustedKubeconfig(stored.kubeconfig);
    } catch (err) {
      if (!(err instanceof KubeconfigRejected)) throw err;
      o.logger?.warn({ cluster: key, secret: stored.secret.name, problem: err.message }, 'tenant kubeconfig rejected');
      throw badGateway('tenant cluster kubeconfig is unusable');
    }
    if (o.guard) {
      try {
        await checkServerAddress(sanitized.cluster.server, o.guard);
      } catch (err) {
        if (err instanceof HttpError) throw err;
        throw badGateway('tenant cluster API unavailable');
      }
    }
    const kc = loadSanitizedKubeconfig(sanitized);
    let client: KubeClient;
    try {
      client = createKubeClient(kc, {
        timeoutMs: o.tenantTimeoutMs,
        name: `tenant ${key}`,
        maxResponseBytes: o.maxResponseBytes ?? TENANT_MAX_RESPONSE_BYTES,
      });
    } catch {
      throw badGateway('tenant cluster kubeconfig is unusable');
    }
    const value: TenantKubeconfig = { ...stored, sanitized, sanitizedYaml: toKubeconfigYaml(sanitized), kc, client };
    existing?.value.client.close();
    clients.set(key, { version, value });
    return value;
  }

  return {
    getStoredKubeconfig,
    getTenantKubeconfig,
    get size() {
      return clients.size;
    },
    close() {
      for (const { value } of clients.values()) value.client.close();
      clients.clear();
    },
  };
}
