// The app's Fastify validator compiler (set once in src/app.ts) for the TypeBox schemas of every route: answers with
// the messages of docs/api.md §4 instead of Ajv's, strips empty optional strings ("empty counts as absent"), converts
// query strings and path parameters to the declared types. Compiled checkers are shared by every app instance.
import type { FastifySchemaCompiler } from 'fastify';
import { Kind, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import { badRequest, invalidFields, type FieldError, type HttpError } from '../../http/errors.js';

const MAX_REPORTED_ERRORS = 20;

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  errorMessage?: string;
  paramError?: string;
  /** Replaces the whole `<field>: <problem>` message. */
  fullMessage?: string;
  /** On the root schema of a body: every failure answers exactly this message, without details. */
  bodyError?: string;
}

/** JSON-pointer path `/proxmoxNodes/1` → field name `proxmoxNodes[1]`; `/helm/chart` → `helm.chart`. */
export function fieldFromPath(path: string): string {
  let field = '';
  for (const raw of path.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) field += `[${part}]`;
    else field += field ? `.${part}` : part;
  }
  return field;
}

function defaultProblem(schema: SchemaNode): string {
  switch (schema.type) {
    case 'integer':
      return 'must be an integer';
    case 'number':
      return 'must be a number';
    case 'boolean':
      return 'must be true or false';
    case 'object':
      return 'must be an object';
    case 'array':
      return 'must be a list';
    default:
      return 'must be a string';
  }
}

/** Removes `""` from string properties the schema declares, recursively through declared nested objects. */
export function stripEmptyStrings(schema: SchemaNode, value: unknown): unknown {
  if (!schema.properties || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, propSchema] of Object.entries(schema.properties)) {
    if (!(key in out)) continue;
    if (propSchema.type === 'string' && out[key] === '') delete out[key];
    else if (propSchema.properties) out[key] = stripEmptyStrings(propSchema, out[key]);
  }
  return out;
}

export interface CheckResult<T> {
  value?: T;
  error?: HttpError;
}

/** Compiles a TypeBox schema into a checker producing contract messages; part decides the message style. */
export function compileChecker<T = unknown>(
  schema: TSchema,
  part: 'body' | 'querystring' | 'params' | 'headers' = 'body',
): (input: unknown) => CheckResult<T> {
  const checker = TypeCompiler.Compile(schema);
  const root = schema as SchemaNode;
  return (input) => {
    let value: unknown = input;
    if (part === 'body') {
      if (value === null || value === undefined) value = {};
      if (root.type === 'object' && (typeof value !== 'object' || Array.isArray(value)))
        return { error: badRequest('request body must be a JSON object') };
      value = stripEmptyStrings(root, value);
    } else if (part === 'querystring' || part === 'params') {
      value = Value.Convert(schema, Value.Clone(value ?? {}));
    }
    if (checker.Check(value)) return { value: value as T };
    if (root.bodyError) return { error: badRequest(root.bodyError) };
    const errors: FieldError[] = [];
    const seen = new Set<string>();
    for (const e of checker.Errors(value)) {
      if (errors.length >= MAX_REPORTED_ERRORS) break;
      const field = fieldFromPath(e.path);
      if (seen.has(field)) continue;
      seen.add(field);
      const node = e.schema as SchemaNode;
      if (part === 'params') {
        const template = node.paramError ?? `invalid ${field} "%s"`;
        // The rejected value is echoed for the user, but never longer than any valid name could be.
        const shown = String(e.value ?? '');
        return { error: badRequest(template.replace('%s', shown.length > 253 ? `${shown.slice(0, 253)}…` : shown)) };
      }
      const problem =
        e.type === ValueErrorType.ObjectRequiredProperty ? 'is required' : (node.errorMessage ?? defaultProblem(node));
      if (node.fullMessage && errors.length === 0)
        return { error: badRequest(node.fullMessage, { field, errors: [{ field, message: problem }] }) };
      errors.push({ field: field || 'body', message: problem });
    }
    return { error: invalidFields(errors) };
  };
}

type FastifyValidator = (data: unknown) => { error?: HttpError; value?: unknown };
/** Keyed by part and schema text: the schemas are the same in every app a process builds (tests build hundreds). */
const compiled = new Map<string, FastifyValidator>();

/** The Fastify validatorCompiler of the whole app. */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart, method, url }) => {
  const part = httpPart === 'querystring' || httpPart === 'params' || httpPart === 'headers' ? httpPart : 'body';
  const key = `${part} ${JSON.stringify(schema)}`;
  let validate = compiled.get(key);
  if (!validate) {
    if (!(Kind in schema))
      throw new Error(
        `the ${part} schema of ${method} ${url} is not a TypeBox schema (route schemas are built with Type.*)`,
      );
    const check = compileChecker(schema, part);
    validate = (data: unknown) => {
      const result = check(data);
      return result.error ? { error: result.error } : { value: result.value };
    };
    compiled.set(key, validate);
  }
  return validate;
};
