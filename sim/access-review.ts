// SelfSubjectAccessReview (authorization.k8s.io/v1): "may I do this?" answered by the same authorizer that guards
// requests, for the requesting user: the impersonated one when the request impersonates (kubectl auth can-i --as).
// Never stored; the answer is the review with its status filled in (pkg/registry/authorization/selfsubjectaccessreview).
import type { Identity, NonResourceAttributes, RbacAuthorizer, RequestAttributes } from './rbac.js';
import { badRequest, invalid } from './status.js';

const GROUP = 'authorization.k8s.io';
const KIND = 'SelfSubjectAccessReview';

interface ResourceAttributesV1 {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

const RESOURCE_FIELDS = ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'] as const;
const NON_RESOURCE_FIELDS = ['path', 'verb'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keeps the known string fields that are not empty, as Go's omitempty encoding of the typed struct does. */
function pick(v: Record<string, unknown>, fields: readonly string[], path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const x = v[f];
    if (x === undefined || x === null) continue;
    if (typeof x !== 'string') {
      throw badRequest(
        `${KIND} in version "v1" cannot be handled as a ${KIND}: v1.${KIND}.Spec: v1.${KIND}Spec.${path}.${f}: ReadString: expects " or n, but found ${JSON.stringify(x)[0]}`,
      );
    }
    if (x !== '') out[f] = x;
  }
  return out;
}

/** Whether ObjectMeta decodes to the zero value (kubectl sends `metadata: {creationTimestamp: null}`). */
function emptyMeta(meta: unknown): boolean {
  if (meta === undefined || meta === null) return true;
  if (!isObject(meta)) return false;
  return Object.entries(meta).every(([k, v]) => v === null || (k === 'managedFields' && Array.isArray(v)));
}

export function selfSubjectAccessReview(rbac: RbacAuthorizer, user: Identity, body: unknown): object {
  if (!isObject(body)) throw badRequest(`${KIND} in version "v1" cannot be handled as a ${KIND}: expected an object`);
  const spec = isObject(body.spec) ? body.spec : {};
  const ra = isObject(spec.resourceAttributes)
    ? pick(spec.resourceAttributes, RESOURCE_FIELDS, 'ResourceAttributes')
    : undefined;
  const nra = isObject(spec.nonResourceAttributes)
    ? pick(spec.nonResourceAttributes, NON_RESOURCE_FIELDS, 'NonResourceAttributes')
    : undefined;
  const errs = [];
  if (ra && nra) {
    errs.push({
      type: 'FieldValueInvalid',
      field: 'spec.nonResourceAttributes',
      message: `Invalid value: ${JSON.stringify(nra)}: cannot be specified in combination with resourceAttributes`,
    });
  }
  if (!ra && !nra) {
    errs.push({
      type: 'FieldValueInvalid',
      field: 'spec.resourceAttributes',
      message: 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    });
  }
  if (!emptyMeta(body.metadata)) {
    // kube-apiserver prints the whole ObjectMeta struct (Go's %#v) as the value; the simulator abbreviates it.
    errs.push({
      type: 'FieldValueInvalid',
      field: 'metadata',
      message: 'Invalid value: v1.ObjectMeta{…}: must be empty',
    });
  }
  if (errs.length > 0) {
    // The registry qualifies the error with the decoded object's kind, which is empty by then: the message starts
    // `.authorization.k8s.io "" is invalid` and the details carry no kind and no name.
    const err = invalid(GROUP, '', '', errs);
    delete err.status.details?.name;
    delete err.status.details?.kind;
    throw err;
  }
  const attributes: RequestAttributes | NonResourceAttributes = ra
    ? resourceAttributes(ra)
    : { verb: nra!.verb ?? '', path: nra!.path ?? '' };
  const decision = rbac.decide(user, attributes);
  const status: Record<string, unknown> = { allowed: decision.allowed };
  if (decision.reason) status.reason = decision.reason;
  return {
    kind: KIND,
    apiVersion: `${GROUP}/v1`,
    metadata: { creationTimestamp: null },
    spec: ra ? { resourceAttributes: ra } : { nonResourceAttributes: nra },
    status,
  };
}

function resourceAttributes(ra: ResourceAttributesV1): RequestAttributes {
  return {
    verb: ra.verb ?? '',
    apiGroup: ra.group ?? '',
    resource: ra.resource ?? '',
    ...(ra.subresource ? { subresource: ra.subresource } : {}),
    ...(ra.name ? { name: ra.name } : {}),
    ...(ra.namespace ? { namespace: ra.namespace } : {}),
  };
}
