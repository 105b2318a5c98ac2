import { prune } from './prune.js';
import { isJSONObject, type JSONSchemaProps } from './types.js';

/**
 * Structural defaulting (k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting): a property with a default
 * is set when it is absent (or null and not nullable) in an existing parent object; defaults inside defaults apply.
 */
export function applyDefaults(value: unknown, schema: JSONSchemaProps | undefined): void {
  if (!schema) return;
  if (isJSONObject(value)) {
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      if (sub.default === undefined) continue;
      if (!(key in value) || (value[key] === null && !sub.nullable)) {
        const defaulted = structuredClone(sub.default);
        // A real server refuses CRDs whose defaults would be pruned; prune them anyway, silently.
        prune(defaulted, sub, key, []);
        value[key] = defaulted;
      }
    }
    for (const [key, item] of Object.entries(value)) {
      const sub =
        schema.properties?.[key] ??
        (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      applyDefaults(item, sub);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) applyDefaults(item, schema.items);
  }
}
