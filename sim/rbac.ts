// Service-account tokens and RBAC authorization, as kube-apiserver's RBAC authorizer decides them.
// The admin token (group system:masters) stays all-powerful; any other user (a service-account token, or whoever
// a request impersonates) may do exactly what the Role, ClusterRole, RoleBinding and ClusterRoleBinding objects
// stored in the simulator grant its name and groups (User, Group and ServiceAccount subjects).
import { randomBytes } from 'node:crypto';
import type { ResourcePath } from './resources.js';
import type { ApiState } from './state.js';
import { forbidden, type ApiError } from './status.js';

/** Who a request runs as: kube-apiserver's user.Info after authentication (and impersonation, sim/impersonation.ts). */
export interface Identity {
  name: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
}

/** The group kube-apiserver lets do anything, before RBAC is asked (authorizerfactory.NewPrivilegedGroups). */
export const PRIVILEGED_GROUP = 'system:masters';
export const AUTHENTICATED = 'system:authenticated';
export const UNAUTHENTICATED = 'system:unauthenticated';

/** The simulator's own token: like the real test server's admin certificate (CN=admin, O=system:masters). */
export const ADMIN: Identity = Object.freeze({
  name: 'admin',
  groups: Object.freeze([PRIVILEGED_GROUP, AUTHENTICATED]) as string[],
  extra: Object.freeze({}) as Record<string, string[]>,
});

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

/** A request for a path that is not a resource (e.g. /version), as a SelfSubjectAccessReview can ask about. */
export interface NonResourceAttributes {
  verb: string;
  path: string;
}

export interface Decision {
  allowed: boolean;
  /** What kube-apiserver's authorizers say: `RBAC: allowed by …` when allowed, errors met on the way when not. */
  reason: string;
}

export interface Denial extends RequestAttributes {
  user: string;
}

interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}

interface Binding {
  metadata?: { name?: string; namespace?: string };
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

function ruleAllowsPath(rule: PolicyRule, a: NonResourceAttributes): boolean {
  if (!matches(rule.verbs, a.verb)) return false;
  return (rule.nonResourceURLs ?? []).some(
    (u) => u === '*' || u === a.path || (u.endsWith('*') && a.path.startsWith(u.slice(0, -1))),
  );
}

/** rbac/validation appliesToUser: a ServiceAccount subject without namespace means the binding's namespace. */
function subjectMatches(s: Subject, id: Identity, bindingNs?: string): boolean {
  switch (s.kind) {
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNs;
      return !!ns && !!s.name && id.name === userName({ namespace: ns, name: s.name });
    }
    case 'User':
      return s.name === id.name;
    case 'Group':
      return s.name !== undefined && id.groups.includes(s.name);
    default:
      return false;
  }
}

/** How kube-apiserver names the binding that allowed a request (rbac/validation's describers). */
function describe(b: Binding, s: Subject, bindingNs?: string): string {
  const subject =
    s.kind === 'ServiceAccount'
      ? `${s.kind} "${s.name}/${s.namespace || (bindingNs ?? '')}"`
      : `${s.kind} "${s.name ?? ''}"`;
  const name = bindingNs !== undefined ? `${b.metadata?.name}/${bindingNs}` : b.metadata?.name;
  const kind = bindingNs !== undefined ? 'RoleBinding' : 'ClusterRoleBinding';
  return `${kind} "${name}" of ${b.roleRef?.kind} "${b.roleRef?.name}" to ${subject}`;
}

/**
 * The part of kube-apiserver's bootstrap RBAC policy that everyone relies on: every authenticated user may ask
 * what it may do (system:basic-user) and read discovery (system:discovery); everyone may read health and
 * version (system:public-info-viewer). Real servers store these as objects; the simulator applies them implicitly.
 */
const BOOTSTRAP_BINDINGS: { binding: Binding; rules: PolicyRule[] }[] = [
  {
    binding: {
      metadata: { name: 'system:basic-user' },
      roleRef: { kind: 'ClusterRole', name: 'system:basic-user' },
      subjects: [{ kind: 'Group', name: AUTHENTICATED }],
    },
    rules: [
      {
        verbs: ['create'],
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
      },
    ],
  },
  {
    binding: {
      metadata: { name: 'system:discovery' },
      roleRef: { kind: 'ClusterRole', name: 'system:discovery' },
      subjects: [{ kind: 'Group', name: AUTHENTICATED }],
    },
    rules: [
      {
        verbs: ['get'],
        nonResourceURLs: [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/healthz',
          '/livez',
          '/openapi',
          '/openapi/*',
          '/readyz',
          '/version',
          '/version/',
        ],
      },
    ],
  },
  {
    binding: {
      metadata: { name: 'system:public-info-viewer' },
      roleRef: { kind: 'ClusterRole', name: 'system:public-info-viewer' },
      subjects: [
        { kind: 'Group', name: AUTHENTICATED },
        { kind: 'Group', name: UNAUTHENTICATED },
      ],
    },
    rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] }],
  },
];

export class RbacAuthorizer {
  private readonly tokens = new Map<string, { namespace: string; name: string }>();
  /** Every refused request of a user other than system:masters, oldest first (bounded). */
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
    const entry = this.state.store(rt).get(`${sa.namespace}/${sa.name}`);
    if (!entry) return undefined;
    const uid = (entry.obj as { metadata?: { uid?: string } }).metadata?.uid;
    return {
      name: userName(sa),
      ...(uid ? { uid } : {}),
      groups: serviceAccountGroups(sa.namespace).concat(AUTHENTICATED),
      extra: {},
    };
  }

  /** The decision of kube-apiserver's authorizer chain (system:masters, then RBAC) with its reason. */
  decide(id: Identity, a: RequestAttributes | NonResourceAttributes): Decision {
    if (id.groups.includes(PRIVILEGED_GROUP)) return { allowed: true, reason: '' };
    const allows = (r: PolicyRule) => ('path' in a ? ruleAllowsPath(r, a) : ruleAllows(r, a));
    const errors: string[] = [];
    const visit = (b: Binding, rules: () => PolicyRule[] | string, bindingNs?: string): Decision | undefined => {
      const subject = b.subjects?.find((s) => subjectMatches(s, id, bindingNs));
      if (!subject) return undefined;
      const found = rules();
      if (typeof found === 'string') {
        errors.push(found);
        return undefined;
      }
      if (found.some(allows)) return { allowed: true, reason: `RBAC: allowed by ${describe(b, subject, bindingNs)}` };
      return undefined;
    };
    for (const { binding, rules } of BOOTSTRAP_BINDINGS) {
      const d = visit(binding, () => rules);
      if (d) return d;
    }
    for (const b of this.objects<Binding>('clusterrolebindings')) {
      if (b.roleRef?.kind !== 'ClusterRole') continue;
      const d = visit(b, () => this.rulesOf('ClusterRole', b.roleRef?.name));
      if (d) return d;
    }
    const ns = 'path' in a ? undefined : a.namespace;
    if (ns !== undefined) {
      for (const b of this.objects<Binding>('rolebindings', ns)) {
        const kind = b.roleRef?.kind;
        if (kind !== 'ClusterRole' && kind !== 'Role') continue;
        const d = visit(b, () => this.rulesOf(kind, b.roleRef?.name, ns), ns);
        if (d) return d;
      }
    }
    // utilerrors.NewAggregate: one error as is, several as a bracketed list.
    const reason = errors.length === 0 ? '' : `RBAC: ${errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`}`;
    return { allowed: false, reason };
  }

  /** Whether the identity may do the request. */
  allows(id: Identity, a: RequestAttributes): boolean {
    return this.decide(id, a).allowed;
  }

  /** Throws the 403 Status kube-apiserver answers when the identity may not do the request. */
  authorize(id: Identity, a: RequestAttributes): void {
    const d = this.decide(id, a);
    if (d.allowed) return;
    throw this.deny(id, a, d.reason);
  }

  private deny(id: Identity, a: RequestAttributes, reason: string): ApiError {
    if (this.denials.length >= DENIAL_LIMIT) this.denials.shift();
    this.denials.push({ user: id.name, ...a });
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const scope = a.namespace !== undefined ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
    const why = `User "${id.name}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${scope}`;
    const err = forbidden(
      { group: a.apiGroup, resource: a.resource },
      a.name ?? '',
      reason ? `${why}: ${reason}` : why,
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

  /** The rules of a role, or the error kube-apiserver's rule resolver meets when the role does not exist. */
  private rulesOf(kind: 'ClusterRole' | 'Role', name: string | undefined, namespace?: string): PolicyRule[] | string {
    const rt = this.state.lookup(RBAC_GROUP, 'v1', kind === 'Role' ? 'roles' : 'clusterroles')!;
    const entry = name ? this.state.store(rt).get(kind === 'Role' ? `${namespace}/${name}` : name) : undefined;
    if (!entry) return `${kind.toLowerCase()}.${RBAC_GROUP} "${name ?? ''}" not found`;
    const rules = (entry.obj as { rules?: unknown }).rules;
    return Array.isArray(rules) ? (rules as PolicyRule[]) : [];
  }
}

/** The groups kube-apiserver gives every service account of a namespace (serviceaccount.MakeGroupNames). */
export function serviceAccountGroups(namespace: string): string[] {
  return ['system:serviceaccounts', `system:serviceaccounts:${namespace}`];
}
