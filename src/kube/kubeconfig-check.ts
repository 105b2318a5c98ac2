// Untrusted kubeconfig check (docs/api.md §4): Harvester credentials and tenant admin kubeconfigs come from users or
// controllers, so only inline credentials are accepted and the result is rebuilt from an allow-list of fields.
// Nothing here reads files or runs commands; loadSanitizedKubeconfig builds the KubeConfig with loadFromOptions.
import { KubeConfig } from '@kubernetes/client-node';
import yaml from 'js-yaml';

export const MAX_KUBECONFIG_BYTES = 256 * 1024;

export interface SanitizedCluster {
  name: string;
  server: string;
  caData?: string;
  skipTLSVerify: boolean;
  tlsServerName?: string;
}
export interface SanitizedUser {
  name: string;
  token?: string;
  username?: string;
  password?: string;
  certData?: string;
  keyData?: string;
}
export interface SanitizedContext {
  name: string;
  cluster: string;
  user: string;
  namespace?: string;
}
export interface SanitizedKubeconfig {
  clusters: SanitizedCluster[];
  users: SanitizedUser[];
  contexts: SanitizedContext[];
  currentContext: string;
  /** The resolved current context's cluster and user. */
  cluster: SanitizedCluster;
  user: SanitizedUser;
}

/** A refusal: `path` names the offending entry (`users[0].user.exec`), `problem` says why. */
export class KubeconfigRejected extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(path ? `${path} ${problem}` : problem);
    this.name = 'KubeconfigRejected';
  }
}

const INLINE_ONLY = 'is not allowed; only inline credentials are accepted';
const REJECTED_CLUSTER_KEYS: Record<string, string> = {
  'certificate-authority': INLINE_ONLY,
  'proxy-url': 'is not allowed',
};
const REJECTED_USER_KEYS: Record<string, string> = {
  exec: INLINE_ONLY,
  'auth-provider': INLINE_ONLY,
  tokenFile: INLINE_ONLY,
  'token-file': INLINE_ONLY,
  'client-certificate': INLINE_ONLY,
  'client-key': INLINE_ONLY,
  as: 'is not allowed',
  'as-uid': 'is not allowed',
  'as-groups': 'is not allowed',
  'as-user-extra': 'is not allowed',
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function optString(entry: Obj, key: string, path: string): string | undefined {
  const v = entry[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new KubeconfigRejected(`${path}.${key}`, 'must be a string');
  return v;
}

function base64Field(entry: Obj, key: string, path: string): string | undefined {
  const v = optString(entry, key, path);
  if (v !== undefined && !/^[A-Za-z0-9+/=\s]+$/.test(v))
    throw new KubeconfigRejected(`${path}.${key}`, 'must be base64');
  return v;
}

function namedList(doc: Obj, key: string, inner: string): { name: string; body: Obj; path: string }[] {
  const list = doc[key];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new KubeconfigRejected(key, 'must be a list');
  return list.map((item, i) => {
    const path = `${key}[${i}]`;
    if (!isObj(item)) throw new KubeconfigRejected(path, 'must be an object');
    if (typeof item.name !== 'string' || item.name === '') throw new KubeconfigRejected(`${path}.name`, 'is required');
    const body = item[inner];
    if (!isObj(body)) throw new KubeconfigRejected(`${path}.${inner}`, 'is required');
    return { name: item.name, body, path: `${path}.${inner}` };
  });
}

function checkCluster(name: string, c: Obj, path: string): SanitizedCluster {
  for (const [key, problem] of Object.entries(REJECTED_CLUSTER_KEYS))
    if (c[key] !== undefined && c[key] !== null && c[key] !== '')
      throw new KubeconfigRejected(`${path}.${key}`, problem);
  const server = optString(c, 'server', path);
  if (!server) throw new KubeconfigRejected(`${path}.server`, 'is required');
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new KubeconfigRejected(`${path}.server`, 'must be an http:// or https:// URL');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname || url.username || url.password)
    throw new KubeconfigRejected(`${path}.server`, 'must be an http:// or https:// URL');
  const skip = c['insecure-skip-tls-verify'];
  if (skip !== undefined && skip !== null && typeof skip !== 'boolean')
    throw new KubeconfigRejected(`${path}.insecure-skip-tls-verify`, 'must be true or false');
  return {
    name,
    server: server.replace(/\/+$/, ''),
    caData: base64Field(c, 'certificate-authority-data', path),
    skipTLSVerify: skip === true,
    tlsServerName: optString(c, 'tls-server-name', path),
  };
}

function checkUser(name: string, u: Obj, path: string): SanitizedUser {
  for (const [key, problem] of Object.entries(REJECTED_USER_KEYS))
    if (u[key] !== undefined && u[key] !== null && u[key] !== '')
      throw new KubeconfigRejected(`${path}.${key}`, problem);
  const user: SanitizedUser = {
    name,
    token: optString(u, 'token', path),
    username: optString(u, 'username', path),
    password: optString(u, 'password', path),
    certData: base64Field(u, 'client-certificate-data', path),
    keyData: base64Field(u, 'client-key-data', path),
  };
  if (user.certData && !user.keyData)
    throw new KubeconfigRejected(`${path}.client-key-data`, 'is required with client-certificate-data');
  if (user.keyData && !user.certData)
    throw new KubeconfigRejected(`${path}.client-certificate-data`, 'is required with client-key-data');
  if (user.password !== undefined && user.username === undefined)
    throw new KubeconfigRejected(`${path}.username`, 'is required with password');
  return user;
}

/** Parses and checks an untrusted kubeconfig (YAML or JSON). Throws KubeconfigRejected. */
export function checkUntrustedKubeconfig(text: string): SanitizedKubeconfig {
  if (Buffer.byteLength(text, 'utf8') > MAX_KUBECONFIG_BYTES)
    throw new KubeconfigRejected('', 'is larger than 256 KiB');
  let doc: unknown;
  try {
    const docs = yaml.loadAll(text, undefined, { schema: yaml.CORE_SCHEMA, json: true });
    if (docs.length !== 1) throw new Error('not one document');
    doc = docs[0];
  } catch {
    throw new KubeconfigRejected('', 'is not a valid kubeconfig (one YAML or JSON document)');
  }
  if (!isObj(doc)) throw new KubeconfigRejected('', 'is not a valid kubeconfig (one YAML or JSON document)');

  const clusters = namedList(doc, 'clusters', 'cluster').map((e) => checkCluster(e.name, e.body, e.path));
  const users = namedList(doc, 'users', 'user').map((e) => checkUser(e.name, e.body, e.path));
  const contexts = namedList(doc, 'contexts', 'context').map((e) => ({
    name: e.name,
    cluster: optString(e.body, 'cluster', e.path) ?? '',
    user: optString(e.body, 'user', e.path) ?? '',
    namespace: optString(e.body, 'namespace', e.path),
  }));

  let currentName = typeof doc['current-context'] === 'string' ? doc['current-context'] : '';
  if (!currentName && contexts.length === 1) currentName = contexts[0]!.name;
  if (!currentName) throw new KubeconfigRejected('current-context', 'is required');
  const current = contexts.find((c) => c.name === currentName);
  if (!current) throw new KubeconfigRejected('current-context', `names no context ("${currentName}")`);
  const cluster = clusters.find((c) => c.name === current.cluster);
  if (!cluster) throw new KubeconfigRejected('current-context', 'does not resolve to a cluster');
  const user = users.find((u) => u.name === current.user);
  if (!user) throw new KubeconfigRejected('current-context', 'does not resolve to a user');
  return { clusters, users, contexts, currentContext: currentName, cluster, user };
}

/** A KubeConfig holding only the sanitised current context: it cannot run exec plugins or read files. */
export function loadSanitizedKubeconfig(s: SanitizedKubeconfig): KubeConfig {
  const kc = new KubeConfig();
  const ctx = s.contexts.find((c) => c.name === s.currentContext)!;
  kc.loadFromOptions({
    clusters: [{ ...s.cluster }],
    users: [{ ...s.user }],
    contexts: [{ ...ctx }],
    currentContext: s.currentContext,
  });
  return kc;
}

/** The sanitised current context as kubeconfig YAML (for kubectl in tenant shells). */
export function toKubeconfigYaml(s: SanitizedKubeconfig): string {
  const ctx = s.contexts.find((c) => c.name === s.currentContext)!;
  const cluster: Obj = { server: s.cluster.server };
  if (s.cluster.caData) cluster['certificate-authority-data'] = s.cluster.caData;
  if (s.cluster.skipTLSVerify) cluster['insecure-skip-tls-verify'] = true;
  if (s.cluster.tlsServerName) cluster['tls-server-name'] = s.cluster.tlsServerName;
  const user: Obj = {};
  if (s.user.token) user.token = s.user.token;
  if (s.user.username) user.username = s.user.username;
  if (s.user.password) user.password = s.user.password;
  if (s.user.certData) user['client-certificate-data'] = s.user.certData;
  if (s.user.keyData) user['client-key-data'] = s.user.keyData;
  const context: Obj = { cluster: s.cluster.name, user: s.user.name };
  if (ctx.namespace) context.namespace = ctx.namespace;
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: s.cluster.name, cluster }],
    users: [{ name: s.user.name, user }],
    contexts: [{ name: ctx.name, context }],
    'current-context': ctx.name,
  });
}
