// The description of one served resource (one group/version/plural), shared by built-ins and CRDs.
import type { FieldError } from './status.js';

export interface Subresource {
  name: string; // status, exec, log, scale, ...
  kind: string;
  verbs: string[];
  group?: string;
  version?: string;
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

/** A request path taken apart: the resource type, and the namespace, name and subresource it names. */
export interface ResourcePath {
  rt: ResourceType;
  ns?: string;
  name?: string;
  subresource?: string;
}

export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  subresources: Subresource[];
  /** Status is written only through /status; the main resource ignores status changes. */
  statusSubresource: boolean;
  hasGeneration: boolean;
  builtin: boolean;
  /** Field selectors besides metadata.name and metadata.namespace. */
  fieldSelectors: string[];
  /** Reads a selectable field; the default reads the dotted path. */
  fieldValue?(obj: any, field: string): string | undefined;
  /** Shared by every version of the resource: `group/plural`. */
  storeKey: string;
  /** For custom resources: the CRD's name, the version's openAPIV3Schema, printer columns. */
  crdName?: string;
  schema?: object;
  printerColumns?: PrinterColumn[];
  /** Name rule: 'subdomain' (default), 'label' (namespaces), 'path' (only no '/' and no '%'; events, rbac). */
  nameRule?: 'subdomain' | 'label' | 'path';
  /** Defaults and normalisation on create (status handling is separate). */
  prepareCreate?(obj: any, ctx: { allocate(kind: 'clusterIP'): string }): void;
  /** Normalisation applied on every write (create, update, patch). */
  normalize?(obj: any): FieldError[] | void;
  /** The status a create through the API starts with (real strategies reset it). */
  initialStatus?(obj: any): unknown;
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function apiVersionOf(rt: { group: string; version: string }): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

export function groupResource(rt: ResourceType): { group: string; resource: string } {
  return { group: rt.group, resource: rt.plural };
}

/** Reads a dotted path (`spec.nodeName`) as a field selector value; booleans and numbers render as text. */
export function readPath(obj: any, path: string): string | undefined {
  let cur = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[part];
  }
  if (cur === undefined || cur === null) return undefined;
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

export function selectableFields(rt: ResourceType, obj: any): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {
    'metadata.name': obj.metadata?.name,
    'metadata.namespace': rt.namespaced ? (obj.metadata?.namespace ?? '') : '',
  };
  for (const f of rt.fieldSelectors) out[f] = rt.fieldValue ? rt.fieldValue(obj, f) : readPath(obj, f);
  return out;
}
