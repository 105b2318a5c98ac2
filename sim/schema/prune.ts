import { OBJECT_META_FIELDS } from '../meta.js';
import { childPath, indexPath } from './paths.js';
import { isJSONObject, type JSONObject, type JSONSchemaProps } from './types.js';

const RESOURCE_ROOT_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

// Anything under metadata that is not an ObjectMeta field is dropped and reported.
const OBJECT_META_FIELD_SET = new Set<string>(OBJECT_META_FIELDS);
const OWNER_REFERENCE_FIELDS = new Set(['apiVersion', 'kind', 'name', 'uid', 'controller', 'blockOwnerDeletion']);
const MANAGED_FIELDS_ENTRY_FIELDS = new Set([
  'manager',
  'operation',
  'apiVersion',
  'time',
  'fieldsType',
  'fieldsV1',
  'subresource',
]);

function pruneKnownKeys(value: unknown, known: Set<string>, path: string, unknown: string[]): void {
  if (!isJSONObject(value)) return;
  for (const key of Object.keys(value)) {
    if (known.has(key)) continue;
    unknown.push(childPath(path, key));
    delete value[key];
  }
}

/** Drops unknown ObjectMeta fields the way the CR handler's metadata coercion does. */
export function pruneObjectMeta(meta: unknown, path: string, unknown: string[]): void {
  if (!isJSONObject(meta)) return;
  pruneKnownKeys(meta, OBJECT_META_FIELD_SET, path, unknown);
  for (const [key, known] of [
    ['ownerReferences', OWNER_REFERENCE_FIELDS],
    ['managedFields', MANAGED_FIELDS_ENTRY_FIELDS],
  ] as const) {
    const list = meta[key];
    if (Array.isArray(list))
      list.forEach((item, i) => pruneKnownKeys(item, known, indexPath(childPath(path, key), i), unknown));
  }
}

function pruneEmbeddedMeta(obj: JSONObject, path: string, unknown: string[]): void {
  if ('metadata' in obj) pruneObjectMeta(obj.metadata, childPath(path, 'metadata'), unknown);
}

/**
 * Structural pruning (k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning): removes every field the schema
 * does not specify, recording its path. `schema` undefined means "no schema here": objects below are emptied.
 */
export function prune(value: unknown, schema: JSONSchemaProps | undefined, path: string, unknown: string[]): void {
  if (schema?.['x-kubernetes-preserve-unknown-fields']) {
    skipPrune(value, schema, path, unknown);
    return;
  }
  const isRoot = path === '';
  if (isJSONObject(value)) {
    for (const key of Object.keys(value)) {
      const child = childPath(path, key);
      if ((isRoot || schema?.['x-kubernetes-embedded-resource']) && RESOURCE_ROOT_FIELDS.has(key)) {
        if (key === 'metadata') pruneEmbeddedMeta(value, path, unknown);
        continue;
      }
      const sub = schema?.properties?.[key];
      if (sub) prune(value[key], sub, child, unknown);
      else if (schema && typeof schema.additionalProperties === 'object')
        prune(value[key], schema.additionalProperties, child, unknown);
      else {
        unknown.push(child);
        delete value[key];
      }
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => prune(item, schema?.items, indexPath(path, i), unknown));
  }
}

function skipPrune(value: unknown, schema: JSONSchemaProps | undefined, path: string, unknown: string[]): void {
  if (!schema) return;
  if (isJSONObject(value)) {
    for (const key of Object.keys(value)) {
      if (schema['x-kubernetes-embedded-resource'] && RESOURCE_ROOT_FIELDS.has(key)) {
        if (key === 'metadata') pruneEmbeddedMeta(value, path, unknown);
        continue;
      }
      const sub = schema.properties?.[key];
      if (sub) prune(value[key], sub, childPath(path, key), unknown);
      else if (typeof schema.additionalProperties === 'object')
        prune(value[key], schema.additionalProperties, childPath(path, key), unknown);
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => skipPrune(item, schema.items, indexPath(path, i), unknown));
  }
}

/** Removes `null` values of non-nullable fields that have no default (they are then treated as absent). */
export function pruneNonNullableNullsWithoutDefaults(value: unknown, schema: JSONSchemaProps | undefined): void {
  if (!schema) return;
  if (isJSONObject(value)) {
    for (const key of Object.keys(value)) {
      const sub =
        schema.properties?.[key] ??
        (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (!sub) continue;
      if (value[key] === null && !sub.nullable && sub.default === undefined) delete value[key];
      else pruneNonNullableNullsWithoutDefaults(value[key], sub);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) pruneNonNullableNullsWithoutDefaults(item, schema.items);
  }
}
