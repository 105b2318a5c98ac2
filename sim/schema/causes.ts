import { isJSONObject } from './types.js';

export interface SchemaCause {
  reason: string;
  field: string;
  message: string;
}

/** Go's `%#v` / `%v` rendering of a JSON value, as k8s.io/apimachinery field errors print bad values. */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) return '"null"';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return goSyntax(value);
}

function goSyntax(value: unknown): string {
  if (value === null || value === undefined) return 'interface {}(nil)';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[]interface {}{${value.map(goSyntax).join(', ')}}`;
  if (isJSONObject(value)) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${goSyntax(value[k])}`);
    return `map[string]interface {}{${entries.join(', ')}}`;
  }
  return String(value);
}

export function required(field: string, detail = ''): SchemaCause {
  return { reason: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' };
}

export function invalid(field: string, value: unknown, detail: string): SchemaCause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${goValue(value)}: ${detail}` };
}

export function typeInvalid(field: string, value: unknown, detail: string): SchemaCause {
  return { reason: 'FieldValueTypeInvalid', field, message: `Invalid value: ${goValue(value)}: ${detail}` };
}

export function notSupported(field: string, value: unknown, supported: unknown[]): SchemaCause {
  const quoted = supported.map((v) => JSON.stringify(typeof v === 'string' ? v : JSON.stringify(v)));
  const detail = quoted.length ? `: supported values: ${quoted.join(', ')}` : '';
  return { reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${goValue(value)}${detail}` };
}

export function tooLong(field: string, max: number): SchemaCause {
  return { reason: 'FieldValueTooLong', field, message: `Too long: may not be longer than ${max}` };
}

export function tooMany(field: string, actual: number, max: number): SchemaCause {
  return { reason: 'FieldValueTooMany', field, message: `Too many: ${actual}: must have at most ${max} items` };
}

export function duplicate(field: string, value: unknown): SchemaCause {
  return { reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${goValue(value)}` };
}
