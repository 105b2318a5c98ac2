import {
  duplicate,
  invalid,
  notSupported,
  required,
  tooLong,
  tooMany,
  typeInvalid,
  type SchemaCause,
} from './causes.js';
import { checkFormat } from './formats.js';
import { childPath, indexPath } from './paths.js';
import { isJSONObject, type JSONSchemaProps } from './types.js';

// Validation as kube-openapi's SchemaValidator does it for CRDs, with errors converted the way
// k8s.io/apiextensions-apiserver/pkg/apiserver/validation converts them into field errors.

const IN_BODY = 'in body';

function jsonType(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value === 'object' ? 'object' : typeof value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isJSONObject(a) && isJSONObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

function isIntOrStringPair(anyOf: JSONSchemaProps[] | undefined): boolean {
  if (!anyOf || anyOf.length !== 2) return false;
  const types = anyOf.map((s) => s.type).sort();
  return types[0] === 'integer' && types[1] === 'string';
}

const patternCache = new Map<string, RegExp | null>();
function compilePattern(pattern: string): RegExp | null {
  let re = patternCache.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      try {
        re = new RegExp(pattern);
      } catch {
        re = null;
      }
    }
    patternCache.set(pattern, re);
  }
  return re;
}

/** Type check; returns false when the value is null and allowed to be (nothing else is checked then). */
function checkType(value: unknown, schema: JSONSchemaProps, path: string, causes: SchemaCause[]): boolean {
  const actual = jsonType(value);
  const expected =
    schema['x-kubernetes-int-or-string'] && !schema.type ? ['integer', 'string'] : schema.type ? [schema.type] : [];
  if (actual === 'null') {
    if (expected.length > 0 && !schema.nullable)
      causes.push(typeInvalid(path, 'null', `${path} ${IN_BODY} must be of type ${expected.join(',')}: "null"`));
    return false;
  }
  if (expected.length === 0) return true;
  const ok = expected.includes(actual) || (actual === 'integer' && expected.includes('number'));
  if (!ok)
    causes.push(typeInvalid(path, actual, `${path} ${IN_BODY} must be of type ${expected.join(',')}: "${actual}"`));
  return true;
}

function validateComposition(value: unknown, schema: JSONSchemaProps, path: string, causes: SchemaCause[]): void {
  const field = '<nil>';
  if (schema.anyOf && !(schema['x-kubernetes-int-or-string'] && isIntOrStringPair(schema.anyOf))) {
    let best: SchemaCause[] | undefined;
    let matched = false;
    for (const sub of schema.anyOf) {
      const sc: SchemaCause[] = [];
      validateValue(value, sub, path, sc);
      if (sc.length === 0) {
        matched = true;
        break;
      }
      if (!best || sc.length < best.length) best = sc;
    }
    if (!matched) {
      causes.push(invalid(field, '', `${path} must validate at least one schema (anyOf)`));
      causes.push(...(best ?? []));
    }
  }
  if (schema.oneOf) {
    const results = schema.oneOf.map((sub) => {
      const sc: SchemaCause[] = [];
      validateValue(value, sub, path, sc);
      return sc;
    });
    const matches = results.filter((r) => r.length === 0).length;
    if (matches !== 1) {
      causes.push(invalid(field, '', `${path} must validate one and only one schema (oneOf).`));
      if (matches === 0) causes.push(...results.reduce((a, b) => (b.length < a.length ? b : a)));
    }
  }
  if (schema.allOf) {
    const before = causes.length;
    for (const sub of schema.allOf) validateValue(value, sub, path, causes);
    if (causes.length > before) causes.push(invalid(field, '', `${path} must validate all the schemas (allOf)`));
  }
  if (schema.not) {
    const sc: SchemaCause[] = [];
    validateValue(value, schema.not, path, sc);
    if (sc.length === 0) causes.push(invalid(field, '', `${path} ${IN_BODY} must not validate the schema (not)`));
  }
}

function validateString(value: string, schema: JSONSchemaProps, path: string, causes: SchemaCause[]): void {
  const length = [...value].length;
  if (schema.maxLength !== undefined && length > schema.maxLength) causes.push(tooLong(path, schema.maxLength));
  if (schema.minLength !== undefined && length < schema.minLength)
    causes.push(invalid(path, value, `${path} ${IN_BODY} should be at least ${schema.minLength} chars long`));
  if (schema.pattern !== undefined) {
    const re = compilePattern(schema.pattern);
    if (re && !re.test(value)) causes.push(invalid(path, value, `${path} ${IN_BODY} should match '${schema.pattern}'`));
  }
  if (schema.format && checkFormat(schema.format, value) === false)
    causes.push(
      typeInvalid(path, value, `${path} ${IN_BODY} must be of type ${schema.format}: ${JSON.stringify(value)}`),
    );
}

function validateNumber(value: number, schema: JSONSchemaProps, path: string, causes: SchemaCause[]): void {
  if (schema.multipleOf !== undefined && schema.multipleOf > 0) {
    const q = value / schema.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9)
      causes.push(invalid(path, value, `${path} ${IN_BODY} should be a multiple of ${schema.multipleOf}`));
  }
  if (schema.maximum !== undefined) {
    const bad = schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum;
    if (bad)
      causes.push(
        invalid(
          path,
          value,
          `${path} ${IN_BODY} should be less than ${schema.exclusiveMaximum ? '' : 'or equal to '}${schema.maximum}`,
        ),
      );
  }
  if (schema.minimum !== undefined) {
    const bad = schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum;
    if (bad)
      causes.push(
        invalid(
          path,
          value,
          `${path} ${IN_BODY} should be greater than ${schema.exclusiveMinimum ? '' : 'or equal to '}${schema.minimum}`,
        ),
      );
  }
}

function validateArray(value: unknown[], schema: JSONSchemaProps, path: string, causes: SchemaCause[]): void {
  if (schema.minItems !== undefined && value.length < schema.minItems)
    causes.push(invalid(path, value.length, `${path} ${IN_BODY} should have at least ${schema.minItems} items`));
  if (schema.maxItems !== undefined && value.length > schema.maxItems)
    causes.push(tooMany(path, value.length, schema.maxItems));
  if (schema.uniqueItems && value.some((x, i) => value.findIndex((y) => deepEqual(x, y)) !== i))
    causes.push(invalid(path, value, `${path} ${IN_BODY} shouldn't contain duplicates`));
  if (schema.items) value.forEach((item, i) => validateValue(item, schema.items!, indexPath(path, i), causes));
}

function validateObject(
  value: Record<string, unknown>,
  schema: JSONSchemaProps,
  path: string,
  causes: SchemaCause[],
): void {
  const count = Object.keys(value).length;
  if (schema.minProperties !== undefined && count < schema.minProperties)
    causes.push(invalid(path, count, `${path} ${IN_BODY} should have at least ${schema.minProperties} properties`));
  if (schema.maxProperties !== undefined && count > schema.maxProperties)
    causes.push({
      reason: 'FieldValueTooMany',
      field: path,
      message: `Too many: ${count}: must have at most ${schema.maxProperties} items`,
    });
  for (const key of schema.required ?? []) {
    if (!(key in value)) causes.push(required(childPath(path, key)));
  }
  const isRoot = path === '';
  const embedded = schema['x-kubernetes-embedded-resource'];
  if (embedded) {
    for (const key of ['apiVersion', 'kind'])
      if (typeof value[key] !== 'string' || value[key] === '')
        causes.push(required(childPath(path, key), 'must not be empty'));
  }
  for (const [key, item] of Object.entries(value)) {
    // ObjectMeta is validated by the API server itself, not by the CRD schema.
    if ((isRoot || embedded) && key === 'metadata') continue;
    const sub =
      schema.properties?.[key] ??
      (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (sub) validateValue(item, sub, childPath(path, key), causes);
  }
}

export function validateValue(value: unknown, schema: JSONSchemaProps, path: string, causes: SchemaCause[]): void {
  if (!checkType(value, schema, path, causes)) return;
  validateComposition(value, schema, path, causes);
  if (typeof value === 'string') validateString(value, schema, path, causes);
  else if (typeof value === 'number') validateNumber(value, schema, path, causes);
  else if (Array.isArray(value)) validateArray(value, schema, path, causes);
  if (schema.enum && !schema.enum.some((e) => deepEqual(e, value))) causes.push(notSupported(path, value, schema.enum));
  if (isJSONObject(value)) validateObject(value, schema, path, causes);
}

/** `x-kubernetes-list-type: set|map` uniqueness (k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype). */
export function validateListTypes(
  value: unknown,
  schema: JSONSchemaProps | undefined,
  path: string,
  causes: SchemaCause[],
): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    const listType = schema['x-kubernetes-list-type'];
    if (listType === 'set') {
      value.forEach((item, i) => {
        if (value.findIndex((other) => deepEqual(other, item)) !== i) causes.push(duplicate(indexPath(path, i), item));
      });
    } else if (listType === 'map') {
      const keys = schema['x-kubernetes-list-map-keys'] ?? [];
      const seen: Record<string, unknown>[] = [];
      value.forEach((item, i) => {
        if (!isJSONObject(item)) {
          causes.push(invalid(indexPath(path, i), item, 'must be an object for an array of list-type map'));
          return;
        }
        const keyValues: Record<string, unknown> = {};
        for (const k of keys) {
          const v = k in item ? item[k] : schema.items?.properties?.[k]?.default;
          if (v !== undefined) keyValues[k] = v;
        }
        if (seen.some((s) => deepEqual(s, keyValues))) causes.push(duplicate(indexPath(path, i), keyValues));
        else seen.push(keyValues);
      });
    }
    value.forEach((item, i) => validateListTypes(item, schema.items, indexPath(path, i), causes));
  } else if (isJSONObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const sub =
        schema.properties?.[key] ??
        (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      validateListTypes(item, sub, childPath(path, key), causes);
    }
  }
}
