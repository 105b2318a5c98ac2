// Parses `/api/proxy/management/<k8s path>` and `/api/proxy/tenant/{ns}/{cluster}/<k8s path>` from the raw request
// URL, so the Kubernetes path and query string reach the cluster exactly as the caller wrote them.
import { badRequest, notFound } from '../http/errors.js';

export const MANAGEMENT_PREFIX = '/api/proxy/management';
export const TENANT_PREFIX = '/api/proxy/tenant';

export type ProxyTarget = { kind: 'management' } | { kind: 'tenant'; namespace: string; cluster: string };

export interface ProxyUrl {
  target: ProxyTarget;
  /** The Kubernetes API path, starting with `/`, still percent-encoded as sent. */
  apiPath: string;
  /** `''` or `?…` as sent. */
  search: string;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const LABEL_RULE = "must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)";

function checkApiPath(apiPath: string): void {
  for (const segment of apiPath.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw badRequest('invalid Kubernetes API path');
    }
    // Dot segments could climb out of a tenant API server's base path (e.g. https://host/k8s/clusters/c-1).
    if (decoded === '.' || decoded === '..' || decoded.includes('/') || decoded.includes('\\'))
      throw badRequest('invalid Kubernetes API path');
  }
}

export function parseProxyUrl(rawUrl: string): ProxyUrl {
  const q = rawUrl.indexOf('?');
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const search = q === -1 ? '' : rawUrl.slice(q);
  let target: ProxyTarget;
  let apiPath: string;
  if (path.startsWith(`${MANAGEMENT_PREFIX}/`)) {
    target = { kind: 'management' };
    apiPath = path.slice(MANAGEMENT_PREFIX.length);
  } else if (path.startsWith(`${TENANT_PREFIX}/`)) {
    const m = /^\/([^/]*)\/([^/]*)(\/.*)$/.exec(path.slice(TENANT_PREFIX.length));
    if (!m) throw notFound(`no such endpoint: ${path.slice(0, 200)}`);
    const [, namespace, cluster, rest] = m as unknown as [string, string, string, string];
    if (!DNS_LABEL.test(namespace)) throw badRequest(`namespace: ${LABEL_RULE}`, { field: 'namespace' });
    if (!DNS_LABEL.test(cluster)) throw badRequest(`name: ${LABEL_RULE}`, { field: 'name' });
    target = { kind: 'tenant', namespace, cluster };
    apiPath = rest;
  } else {
    throw notFound(`no such endpoint: ${path.slice(0, 200)}`);
  }
  checkApiPath(apiPath);
  return { target, apiPath, search };
}

export const targetLabel = (t: ProxyTarget): string =>
  t.kind === 'management' ? 'management' : `${t.namespace}/${t.cluster}`;

/** Requests whose answer stays open: watches and followed logs (upgrades are counted separately). */
export function isLongRunning(method: string, u: ProxyUrl): boolean {
  if (method !== 'GET') return false;
  if (/^\/apis?\/(.+\/)?watch\//.test(u.apiPath)) return true;
  const params = new URLSearchParams(u.search);
  const on = (name: string) => ['true', '1'].includes((params.get(name) ?? '').toLowerCase());
  return on('watch') || on('follow');
}
