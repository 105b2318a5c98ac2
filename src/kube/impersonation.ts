// Kubernetes impersonation of the human behind a request: the management cluster's own RBAC, admission webhooks and
// audit log then see that user instead of butler-server's ServiceAccount.
//
// Writes a user asks for are sent with `Impersonate-User: <session email>` and the groups `butler-api-users` and
// `system:authenticated` (the ClusterRole `butler-api-users`, bound to that group, is what such writes may do).
// The ServiceAccount needs the verb `impersonate` on `users` and `groups` for it (deploy/base/rbac.yaml).

/** Who a request is sent as. */
export interface Impersonation {
  /** Impersonate-User; never empty. */
  user: string;
  /** One Impersonate-Group header each. */
  groups: string[];
}

/** The group every impersonated user is put in; the ClusterRole of the same name is bound to it. */
export const API_USERS_GROUP = 'butler-api-users';
/** kube-apiserver adds it to impersonated users without groups only; with explicit groups it must be asked for. */
export const AUTHENTICATED_GROUP = 'system:authenticated';

/** Header values may not carry line breaks or other control characters (node refuses them, so do we, earlier). */
const UNSAFE_HEADER_VALUE = /[\u0000-\u001f\u007f]/;

/**
 * The impersonation for a user's writes: the email (lowercased, as sessions carry it) and the groups
 * `butler-api-users` and `system:authenticated`. An empty email means no impersonation (the server's own identity);
 * the IdP's groups and extras are never forwarded.
 */
export function userImpersonation(email: string | undefined): Impersonation | undefined {
  const user = (email ?? '').trim().toLowerCase();
  if (!user) return undefined;
  return { user, groups: [API_USERS_GROUP, AUTHENTICATED_GROUP] };
}

/** The request headers of an impersonation; throws for a value no HTTP header can carry. */
export function impersonationHeaders(who: Impersonation): Record<string, string | string[]> {
  if (!who.user) throw new Error('impersonation needs a user');
  for (const v of [who.user, ...who.groups]) {
    if (UNSAFE_HEADER_VALUE.test(v)) throw new Error('impersonation values may not contain control characters');
  }
  return who.groups.length > 0
    ? { 'impersonate-user': who.user, 'impersonate-group': [...who.groups] }
    : { 'impersonate-user': who.user };
}

/** True for a header name that asserts an identity (Impersonate-*): callers' own such headers are never sent. */
export function isImpersonationHeader(name: string): boolean {
  return name.toLowerCase().startsWith('impersonate-');
}
