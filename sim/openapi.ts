// A minimal OpenAPI v3 surface: the /openapi/v3 index and one document per group/version with the
// resource paths. kubectl reads them to learn that the server validates fields itself (the PATCH operation
// of a kind lists the `fieldValidation` query parameter); custom resources also carry their schema.
import { createHash } from 'node:crypto';
import { apiVersionOf, type ResourceType } from './resources.js';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
  name,
  in: 'query',
  schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
}));

function schemaName(rt: ResourceType): string {
  const g = rt.group ? rt.group.split('.').reverse().join('.') : 'io.k8s.api.core';
  return `${g}.${rt.version}.${rt.kind}`;
}

function gvDoc(types: ResourceType[]): object {
  const paths: Record<string, object> = {};
  const schemas: Record<string, object> = {};
  for (const rt of types) {
    const gvk = { group: rt.group, version: rt.version, kind: rt.kind };
    const base = `/${gvPath(rt.group, rt.version)}${rt.namespaced ? '/namespaces/{namespace}' : ''}/${rt.plural}`;
    const ref = { $ref: `#/components/schemas/${schemaName(rt)}` };
    const body = (types: string[]) => ({
      content: Object.fromEntries(types.map((t) => [t, { schema: { type: 'object' } }])),
      required: true,
    });
    const ok = { responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } } };
    paths[base] = {
      get: {
        operationId: `list${rt.kind}`,
        'x-kubernetes-action': 'list',
        'x-kubernetes-group-version-kind': gvk,
        ...ok,
      },
      post: {
        operationId: `create${rt.kind}`,
        'x-kubernetes-action': 'post',
        'x-kubernetes-group-version-kind': gvk,
        parameters: QUERY_PARAMS,
        requestBody: body(['*/*']),
        ...ok,
      },
    };
    paths[`${base}/{name}`] = {
      get: {
        operationId: `read${rt.kind}`,
        'x-kubernetes-action': 'get',
        'x-kubernetes-group-version-kind': gvk,
        ...ok,
      },
      put: {
        operationId: `replace${rt.kind}`,
        'x-kubernetes-action': 'put',
        'x-kubernetes-group-version-kind': gvk,
        parameters: QUERY_PARAMS,
        requestBody: body(['*/*']),
        ...ok,
      },
      patch: {
        operationId: `patch${rt.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
        parameters: QUERY_PARAMS,
        requestBody: body([
          'application/json-patch+json',
          'application/merge-patch+json',
          'application/apply-patch+yaml',
        ]),
        ...ok,
      },
      delete: {
        operationId: `delete${rt.kind}`,
        'x-kubernetes-action': 'delete',
        'x-kubernetes-group-version-kind': gvk,
        ...ok,
      },
    };
    const schema: Record<string, unknown> = rt.schema ? { ...(rt.schema as object) } : { type: 'object' };
    schema['x-kubernetes-group-version-kind'] = [gvk];
    schemas[schemaName(rt)] = schema;
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.31.0' }, paths, components: { schemas } };
}

export class OpenApiV3 {
  private cache = new Map<string, { text: string; hash: string }>();
  private generation = '';

  private docs(types: ResourceType[]): Map<string, { text: string; hash: string }> {
    const gen = types
      .map((t) => `${apiVersionOf(t)}/${t.plural}/${t.crdName ?? ''}/${t.schema ? JSON.stringify(t.schema).length : 0}`)
      .join(',');
    if (gen === this.generation) return this.cache;
    const byGv = new Map<string, ResourceType[]>();
    for (const rt of types) {
      const key = gvPath(rt.group, rt.version);
      if (!byGv.has(key)) byGv.set(key, []);
      byGv.get(key)!.push(rt);
    }
    const out = new Map<string, { text: string; hash: string }>();
    for (const [key, list] of byGv) {
      const text = JSON.stringify(gvDoc(list));
      out.set(key, { text, hash: createHash('sha512').update(text).digest('hex').slice(0, 128).toUpperCase() });
    }
    this.cache = out;
    this.generation = gen;
    return out;
  }

  index(types: ResourceType[]): object {
    const paths: Record<string, object> = {};
    for (const [key, d] of this.docs(types)) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${d.hash}` };
    return { paths };
  }

  document(types: ResourceType[], key: string): string | undefined {
    return this.docs(types).get(key)?.text;
  }
}
