// Object metadata rules shared by every resource: name validation, timestamps, generated names.
import { randomBytes } from 'node:crypto';
import type { FieldError } from './status.js';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export function validateName(name: string, rule: 'subdomain' | 'label' | 'path' = 'subdomain'): FieldError[] {
  const field = 'metadata.name';
  const bad = (why: string): FieldError[] => [
    { type: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(name)}: ${why}` },
  ];
  if (rule === 'path') {
    if (name === '.' || name === '..') return bad(`may not be '${name}'`);
    if (name.includes('/')) return bad("may not contain '/'");
    if (name.includes('%')) return bad("may not contain '%'");
    return [];
  }
  if (rule === 'label') {
    if (name.length > 63) return bad('must be no more than 63 characters');
    if (!LABEL.test(name)) {
      return bad(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      );
    }
    return [];
  }
  if (name.length > 253) return bad('must be no more than 253 characters');
  if (!SUBDOMAIN.test(name)) {
    return bad(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
  }
  return [];
}

function validateQualifiedKey(key: string, field: string): FieldError[] {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : '';
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const ok =
    name.length > 0 &&
    name.length <= 63 &&
    QUALIFIED_NAME.test(name) &&
    (slash < 0 || (prefix.length <= 253 && SUBDOMAIN.test(prefix)));
  if (ok) return [];
  return [
    {
      type: 'FieldValueInvalid',
      field,
      message: `Invalid value: ${JSON.stringify(key)}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    },
  ];
}

export function validateMetadataMaps(meta: any): FieldError[] {
  const errs: FieldError[] = [];
  if (meta.labels !== undefined && meta.labels !== null) {
    if (typeof meta.labels !== 'object' || Array.isArray(meta.labels)) {
      errs.push({
        type: 'FieldValueInvalid',
        field: 'metadata.labels',
        message: 'Invalid value: "labels": must be a map of strings',
      });
    } else {
      for (const [k, v] of Object.entries(meta.labels)) {
        errs.push(...validateQualifiedKey(k, 'metadata.labels'));
        if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) {
          errs.push({
            type: 'FieldValueInvalid',
            field: 'metadata.labels',
            message: `Invalid value: ${JSON.stringify(v)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
          });
        }
      }
    }
  }
  if (meta.annotations !== undefined && meta.annotations !== null) {
    if (typeof meta.annotations !== 'object' || Array.isArray(meta.annotations)) {
      errs.push({
        type: 'FieldValueInvalid',
        field: 'metadata.annotations',
        message: 'Invalid value: "annotations": must be a map of strings',
      });
    } else {
      for (const [k, v] of Object.entries(meta.annotations)) {
        errs.push(...validateQualifiedKey(k.toLowerCase(), 'metadata.annotations'));
        if (typeof v !== 'string')
          errs.push({
            type: 'FieldValueInvalid',
            field: `metadata.annotations[${k}]`,
            message: 'Invalid value: must be a string',
          });
      }
    }
  }
  return errs;
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function generateNameSuffix(): string {
  const bytes = randomBytes(5);
  let s = '';
  for (const b of bytes) s += GENERATE_ALPHABET[b % GENERATE_ALPHABET.length];
  return s;
}

export function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** metav1.ObjectMeta fields (v1.25+: no clusterName) in the order Go encodes them. */
export const OBJECT_META_FIELDS = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
] as const;

/** Orders an object like the real server encodes it: kind, apiVersion, metadata (fields in Go order), rest. */
export function canonical(obj: any): any {
  const meta = obj.metadata ?? {};
  const orderedMeta: Record<string, unknown> = {};
  for (const k of OBJECT_META_FIELDS) if (meta[k] !== undefined && meta[k] !== null) orderedMeta[k] = meta[k];
  for (const k of Object.keys(meta))
    if (!(k in orderedMeta) && meta[k] !== undefined && meta[k] !== null) orderedMeta[k] = meta[k];
  if (Array.isArray(orderedMeta.finalizers) && orderedMeta.finalizers.length === 0) delete orderedMeta.finalizers;
  const out: Record<string, unknown> = { kind: obj.kind, apiVersion: obj.apiVersion, metadata: orderedMeta };
  for (const k of Object.keys(obj)) if (!(k in out) && obj[k] !== undefined) out[k] = obj[k];
  return out;
}
