import { applyDefaults } from './defaults.js';
import { prune, pruneNonNullableNullsWithoutDefaults } from './prune.js';
import type { JSONSchemaProps } from './types.js';
import { validateListTypes, validateValue } from './validate.js';
import type { SchemaCause } from './causes.js';

export type { SchemaCause } from './causes.js';
export type { JSONSchemaProps } from './types.js';
export { checkFormat } from './formats.js';

export interface ProcessResult {
  /** A pruned and defaulted deep copy of the input. */
  object: any;
  /** Validation failures, as the `details.causes` of a 422 Invalid Status. Empty when the object is valid. */
  causes: SchemaCause[];
  /** Paths of the pruned fields (`spec.foo`, `spec.items[0].bar`, `metadata.foo`), sorted. */
  unknownFields: string[];
}

/**
 * Treats a custom resource the way kube-apiserver (v1.25+) does for a structural schema: prune unknown fields
 * (reporting them), drop non-nullable nulls, apply defaults, then validate the OpenAPI rules and list types.
 * Unknown fields are reported whatever `opts.strict` says: with `fieldValidation=Strict` the caller answers
 * 400 `strictDecodingError(unknownFields)`, otherwise it sends `unknownFieldWarnings(unknownFields)` as headers.
 * `metadata` is not checked here (name rules etc. belong to the API server), and `x-kubernetes-validations`
 * (CEL) rules are not evaluated: none of the project's CRDs use them.
 */
export function processCustomResource(schema: object, obj: unknown, opts: { strict: boolean }): ProcessResult {
  void opts.strict;
  const root = schema as JSONSchemaProps;
  const object = structuredClone(obj);
  const unknownFields: string[] = [];
  prune(object, root, '', unknownFields);
  pruneNonNullableNullsWithoutDefaults(object, root);
  applyDefaults(object, root);
  const found: SchemaCause[] = [];
  validateValue(object, root, '', found);
  validateListTypes(object, root, '', found);
  unknownFields.sort();
  return { object, causes: withoutRepeats(found), unknownFields };
}

/**
 * go-openapi's validation result keeps an error only once (Result.AddErrors compares messages): the same
 * violation reached twice, e.g. through both branches of an allOf, is one cause.
 */
function withoutRepeats(causes: SchemaCause[]): SchemaCause[] {
  const seen = new Set<string>();
  return causes.filter((c) => {
    const key = `${c.reason}\u0000${c.field}\u0000${c.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The message of the 400 BadRequest a server sends for unknown fields under `fieldValidation=Strict`. */
export function strictDecodingError(unknownFields: string[]): string {
  return `strict decoding error: ${unknownFields.map((f) => `unknown field ${JSON.stringify(f)}`).join(', ')}`;
}

/** The texts of the `Warning: 299 - "..."` headers a server sends for unknown fields (default `Warn` mode). */
export function unknownFieldWarnings(unknownFields: string[]): string[] {
  return unknownFields.map((f) => `unknown field ${JSON.stringify(f)}`);
}
