// An audit log as kube-apiserver's (audit.k8s.io/v1 Event at level Metadata) records it: who asked (`user`),
// whom the request ran as when it impersonated someone (`impersonatedUser`), what it did and how it ended. Every
// resource request is kept, the newest AUDIT_LIMIT of them, so a test can see as whom the management cluster
// received a change.
import type { ServerResponse } from 'node:http';
import type { Identity, RequestAttributes } from './rbac.js';

export interface AuditUser {
  username: string;
  groups: string[];
}

export interface AuditEvent {
  verb: string;
  requestURI: string;
  /** The authenticated caller (for an impersonated request: the one that impersonates). */
  user: AuditUser;
  /** Present when the request impersonated someone: the identity it was authorized and admitted as. */
  impersonatedUser?: AuditUser;
  objectRef: { apiGroup: string; resource: string; subresource?: string; namespace?: string; name?: string };
  /** The answer's status code; 0 until the answer is sent. */
  responseStatus: { code: number };
}

const AUDIT_LIMIT = 10_000;

const auditUser = (id: Identity): AuditUser => ({ username: id.name, groups: [...id.groups] });

/** Records a resource request; the status code is filled in once the answer is sent. */
export function auditRequest(
  log: AuditEvent[],
  o: { caller: Identity; identity: Identity; attributes: RequestAttributes; requestURI: string; res: ServerResponse },
): void {
  const a = o.attributes;
  const event: AuditEvent = {
    verb: a.verb,
    requestURI: o.requestURI,
    user: auditUser(o.caller),
    ...(o.identity !== o.caller ? { impersonatedUser: auditUser(o.identity) } : {}),
    objectRef: {
      apiGroup: a.apiGroup,
      resource: a.resource,
      ...(a.subresource ? { subresource: a.subresource } : {}),
      ...(a.namespace ? { namespace: a.namespace } : {}),
      ...(a.name ? { name: a.name } : {}),
    },
    responseStatus: { code: 0 },
  };
  if (log.length >= AUDIT_LIMIT) log.shift();
  log.push(event);
  o.res.once('finish', () => {
    event.responseStatus.code = o.res.statusCode;
  });
}
