// Service-account tokens and RBAC authorization, as kube-apiserver's RBAC authorizer decides them.
// The admin token stays all-powerful; a service-account token may do exactly what the Role, ClusterRole,
// RoleBinding and ClusterRoleBinding objects stored in the simulator grant its account.
import { randomBytes } from 'node:crypto';
import type { ResourcePath } from './resources.js';
import type { ApiState } from './state.js';
import { forbidden, type ApiError } from './status.js';

export type Identity = { kind: 'admin' } | { kind: 'serviceaccount'; namespace: string; name: string };

/** What RBAC decides on: one verb on one resource (kube-apiserver's authorizer.Attributes). */
export interface RequestAttributes {
  verb: string;
  apiGroup: string;
  resource: string;
  subresource?: string;
  name?: string;
  /** Absent for cluster-scoped resources and for requests across all namespaces. */
  namespace?: string;
}

export interface Denial extends RequestAttributes {
  user: string;
}

interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}

interface Binding {
  metadata?: { namespace?: string };
  roleRef?: { kind?: string; name?: string };
  subjects?: Subject[];
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const DENIAL_LIMIT = 10_000;

export function userName(id: { namespace: string; name: string }): string {
  return `system:serviceaccount:${id.namespace}:${id.name}`;
}

/**
 * The verb of a resource request: get/list/watch by name and watch parameter, create, update, patch,
 * delete/deletecollection. A WebSocket exec or attach is a GET and authorized as get (see execVerbs).
 */
export function verbOf(method: string, name: string | undefined, watch: boolean): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watch ? 'watch' : name ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

export function attributesOf(rp: ResourcePath, verb: string): RequestAttributes {
  return {
    verb,
    apiGroup: rp.rt.group,
    resource: rp.rt.plural,
    ...(rp.subresource ? { subresource: rp.subresource } : {}),
    ...(rp.name ? { name: rp.name } : {}),
    ...(rp.rt.namespaced && rp.ns ? { namespace: rp.ns } : {}),
  };
}

/**
 * Verbs a WebSocket exec/attach upgrade needs: since Kubernetes 1.31 (AuthorizePodWebsocketUpgradeCreatePermission)
 * a GET upgrade is authorized as get and additionally as create.
 */
export function execVerbs(method: string): string[] {
  return method === 'GET' ? ['get', 'create'] : ['create'];
}

function matches(list: string[] | undefined, value: string): boolean {
  return !!list && (list.includes('*') || list.includes(value));
}

function ruleAllows(rule: PolicyRule, a: RequestAttributes): boolean {
  if (!matches(rule.verbs, a.verb)) return false;
  if (!matches(rule.apiGroups, a.apiGroup)) return false;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resources = rule.resources ?? [];
  const resourceOk = a.subresource
    ? resources.includes('*') || resources.includes(combined) || resources.includes(`*/${a.subresource}`)
    : resources.includes('*') || resources.includes(a.resource);
  if (!resourceOk) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (a.name !== undefined && names.includes(a.name));
}

function subjectMatches(s: Subject, id: { namespace: string; name: string }, bindingNs?: string): boolean {
  switch (s.kind) {
    case 'ServiceAccount':
      return s.name === id.name && (s.namespace ?? bindingNs) === id.namespace;
    case 'User':
      return s.name === userName(id);
    case 'Group':
      return (
        s.name === 'system:authenticated' ||
        s.name === 'system:serviceaccounts' ||
        s.name === `system:serviceaccounts:${id.namespace}`
      );
    default:
      return false;
  }
}

export class RbacAuthorizer {
  private readonly tokens = new Map<string, { namespace: string; name: string }>();
  /** Every refused request of a service account, oldest first (bounded). */
  readonly denials: Denial[] = [];

  constructor(private readonly state: ApiState) {}

  /** A bearer token for the ServiceAccount `namespace/name`; valid while that ServiceAccount exists. */
  tokenFor(namespace: string, name: string): string {
    const token = `sa-${randomBytes(24).toString('hex')}`;
    this.tokens.set(token, { namespace, name });
    return token;
  }

  /** The service account of a bearer token, or undefined (unknown token, or its ServiceAccount is gone). */
  identify(token: string): Identity | undefined {
    const sa = this.tokens.get(token);
    if (!sa) return undefined;
    const rt = this.state.lookup('', 'v1', 'serviceaccounts')!;
    if (!this.state.store(rt).get(`${sa.namespace}/${sa.name}`)) return undefined;
    return { kind: 'serviceaccount', ...sa };
  }

  /** Whether the identity may do the request. */
  allows(id: Identity, a: RequestAttributes): boolean {
    if (id.kind === 'admin') return true;
    for (const b of this.objects<Binding>('clusterrolebindings')) {
      if (b.roleRef?.kind !== 'ClusterRole' || !b.subjects?.some((s) => subjectMatches(s, id))) continue;
      if (this.rulesOf('ClusterRole', b.roleRef.name).some((r) => ruleAllows(r, a))) return true;
    }
    if (a.namespace === undefined) return false;
    for (const b of this.objects<Binding>('rolebindings', a.namespace)) {
      if (!b.subjects?.some((s) => subjectMatches(s, id, a.namespace))) continue;
      const kind = b.roleRef?.kind;
      if (kind !== 'ClusterRole' && kind !== 'Role') continue;
      if (this.rulesOf(kind, b.roleRef?.name, a.namespace).some((r) => ruleAllows(r, a))) return true;
    }
    return false;
  }

  /** Throws the 403 Status kube-apiserver answers when the identity may not do the request. */
  authorize(id: Identity, a: RequestAttributes): void {
    if (this.allows(id, a)) return;
    if (id.kind === 'admin') return;
    throw this.deny(id, a);
  }

  private deny(id: { namespace: string; name: string }, a: RequestAttributes): ApiError {
    const user = userName(id);
    if (this.denials.length >= DENIAL_LIMIT) this.denials.shift();
    this.denials.push({ user, ...a });
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const scope = a.namespace !== undefined ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
    const err = forbidden(
      { group: a.apiGroup, resource: a.resource },
      a.name ?? '',
      `User "${user}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${scope}`,
    );
    // kube-apiserver omits an empty name from the details.
    if (!a.name && err.status.details) delete err.status.details.name;
    return err;
  }

  private objects<T>(plural: string, namespace?: string): T[] {
    const rt = this.state.lookup(RBAC_GROUP, 'v1', plural);
    if (!rt) return [];
    const out: T[] = [];
    for (const e of this.state.store(rt).items.values()) {
      if (namespace === undefined || e.obj.metadata?.namespace === namespace) out.push(e.obj as T);
    }
    return out;
  }

  private rulesOf(kind: 'ClusterRole' | 'Role', name: string | undefined, namespace?: string): PolicyRule[] {
    if (!name) return [];
    const rt = this.state.lookup(RBAC_GROUP, 'v1', kind === 'Role' ? 'roles' : 'clusterroles')!;
    const entry = this.state.store(rt).get(kind === 'Role' ? `${namespace}/${name}` : name);
    const rules = (entry?.obj as { rules?: unknown } | undefined)?.rules;
    return Array.isArray(rules) ? (rules as PolicyRule[]) : [];
  }
}
