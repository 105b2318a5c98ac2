// Impersonation as kube-apiserver's WithImpersonation filter does it (k8s.io/apiserver/pkg/endpoints/filters):
// the Impersonate-User, Impersonate-Group, Impersonate-Uid and Impersonate-Extra-<key> headers are each authorized
// as the verb `impersonate` on users / serviceaccounts, groups, uids and userextras/<key> for the caller; the first
// one refused answers 403. Then the request runs as the impersonated user with exactly the groups asked for (or a
// service account's own groups), plus system:authenticated.
import type { IncomingMessage } from 'node:http';
import {
  AUTHENTICATED,
  serviceAccountGroups,
  UNAUTHENTICATED,
  userName,
  type Identity,
  type RbacAuthorizer,
  type RequestAttributes,
} from './rbac.js';
import { PlainTextError } from './status.js';

const USER = 'impersonate-user';
const GROUP = 'impersonate-group';
const UID = 'impersonate-uid';
const EXTRA_PREFIX = 'impersonate-extra-';
const AUTHENTICATION_V1 = 'authentication.k8s.io/v1';
const ANONYMOUS = 'system:anonymous';
const SA_PREFIX = 'system:serviceaccount:';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** One thing to impersonate, as kube-apiserver lists them (a v1.ObjectReference). */
interface ImpersonationRequest {
  kind: 'User' | 'ServiceAccount' | 'Group' | 'UserExtra' | 'UID';
  namespace?: string;
  name: string;
  apiVersion?: string;
  fieldPath?: string;
}

/** serviceaccount.SplitUsername: `system:serviceaccount:<namespace>:<name>` with valid names, else not an account. */
function splitServiceAccount(user: string): { namespace: string; name: string } | undefined {
  if (!user.startsWith(SA_PREFIX)) return undefined;
  const parts = user.slice(SA_PREFIX.length).split(':');
  if (parts.length !== 2) return undefined;
  const [namespace, name] = parts as [string, string];
  if (namespace.length > 63 || !DNS1123_LABEL.test(namespace)) return undefined;
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) return undefined;
  return { namespace, name };
}

/** url.PathUnescape, keeping the raw key when it is not valid %-encoding. */
function unescapeExtraKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

/** Go's %v of a v1.ObjectReference: its seven string fields separated by spaces. */
function formatReference(r: ImpersonationRequest): string {
  return `{${[r.kind, r.namespace ?? '', r.name, '', r.apiVersion ?? '', '', r.fieldPath ?? ''].join(' ')}}`;
}

/** sanitizer.Replace of responsewriters: HTML-escapes what kube-apiserver echoes in plain-text errors. */
function sanitize(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function buildRequests(req: IncomingMessage, url: string): ImpersonationRequest[] {
  const headers = req.headersDistinct;
  const out: ImpersonationRequest[] = [];
  const user = headers[USER]?.[0] ?? '';
  if (user) {
    const sa = splitServiceAccount(user);
    out.push(sa ? { kind: 'ServiceAccount', ...sa } : { kind: 'User', name: user });
  }
  const groups = headers[GROUP] ?? [];
  for (const g of groups) out.push({ kind: 'Group', name: g });
  let hasExtra = false;
  for (const [header, values] of Object.entries(headers)) {
    if (!header.startsWith(EXTRA_PREFIX) || !values) continue;
    hasExtra = true;
    const key = unescapeExtraKey(header.slice(EXTRA_PREFIX.length));
    for (const value of values)
      out.push({ kind: 'UserExtra', apiVersion: AUTHENTICATION_V1, name: value, fieldPath: key });
  }
  const uid = headers[UID]?.[0] ?? '';
  if (uid) out.push({ kind: 'UID', name: uid, apiVersion: AUTHENTICATION_V1 });
  if ((groups.length > 0 || hasExtra || uid) && !user) {
    const refs = out.map(formatReference).join(' ');
    throw new PlainTextError(
      500,
      sanitize(`Internal Server Error: "${url}": requested [${refs}] without impersonating a user`) + '\n',
    );
  }
  return out;
}

function attributesFor(r: ImpersonationRequest): RequestAttributes {
  switch (r.kind) {
    case 'ServiceAccount':
      return { verb: 'impersonate', apiGroup: '', resource: 'serviceaccounts', namespace: r.namespace, name: r.name };
    case 'User':
      return { verb: 'impersonate', apiGroup: '', resource: 'users', name: r.name };
    case 'Group':
      return { verb: 'impersonate', apiGroup: '', resource: 'groups', name: r.name };
    case 'UserExtra':
      return {
        verb: 'impersonate',
        apiGroup: 'authentication.k8s.io',
        resource: 'userextras',
        ...(r.fieldPath ? { subresource: r.fieldPath } : {}),
        name: r.name,
      };
    case 'UID':
      return { verb: 'impersonate', apiGroup: 'authentication.k8s.io', resource: 'uids', name: r.name };
  }
}

/**
 * The identity a request runs as: the caller itself without impersonation headers, else the impersonated user.
 * Throws the 403 Status for the first impersonation the caller may not do, or a plain-text 500 for groups, extras
 * or a uid without a user. `url` is the request URI as sent (echoed in that 500).
 */
export function impersonate(rbac: RbacAuthorizer, caller: Identity, req: IncomingMessage, url: string): Identity {
  const requests = buildRequests(req, url);
  if (requests.length === 0) return caller;
  const groupsSpecified = (req.headersDistinct[GROUP] ?? []).length > 0;
  let name = '';
  let uid: string | undefined;
  let groups: string[] = [];
  const extra: Record<string, string[]> = {};
  for (const r of requests) {
    switch (r.kind) {
      case 'ServiceAccount':
        name = userName({ namespace: r.namespace!, name: r.name });
        if (!groupsSpecified) groups = serviceAccountGroups(r.namespace!);
        break;
      case 'User':
        name = r.name;
        break;
      case 'Group':
        groups.push(r.name);
        break;
      case 'UserExtra':
        (extra[r.fieldPath ?? ''] ??= []).push(r.name);
        break;
      case 'UID':
        uid = r.name;
        break;
    }
    rbac.authorize(caller, attributesFor(r));
  }
  if (name !== ANONYMOUS) {
    if (!groups.includes(AUTHENTICATED) && !groups.includes(UNAUTHENTICATED)) groups.push(AUTHENTICATED);
  } else if (!groups.includes(UNAUTHENTICATED)) {
    groups.push(UNAUTHENTICATED);
  }
  return { name, ...(uid !== undefined ? { uid } : {}), groups, extra };
}
