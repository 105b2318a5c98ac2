// The patch formats kube-apiserver accepts: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
// strategic merge patch for built-in types (merge keys of the common Kubernetes lists).
import jsonpatch from 'fast-json-patch';
import { ApiError, badRequest } from './status.js';

function isPlainObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredCloneSafe(patch);
  const out: Record<string, any> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function structuredCloneSafe<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) {
    throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  }
  for (const op of ops) {
    if (!isPlainObject(op) || typeof op.op !== 'string') throw badRequest('Unexpected kind: <nil>');
    if (!['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(op.op))
      throw badRequest(`Unexpected kind: ${op.op}`);
  }
  try {
    return jsonpatch.applyPatch(structuredClone(target), ops as any, true, true).newDocument;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    if (e instanceof ApiError) throw e;
    const err = new ApiError({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: /test operation failed/i.test(msg)
        ? 'the server rejected our request due to an error in our request'
        : msg,
      reason: 'Invalid',
      details: {},
      code: 422,
    });
    throw err;
  }
}

const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  taints: 'key',
  addresses: 'type',
  secrets: 'name',
};

const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, path: string[]): string | undefined {
  if (field === 'ports')
    return path.includes('containers') || path.includes('initContainers') ? 'containerPort' : 'port';
  return MERGE_KEYS[field];
}

function stripDirectives(v: any): any {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isPlainObject(v)) return v;
  const out: Record<string, any> = {};
  for (const [k, val] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(val);
  }
  return out;
}

function mergeList(orig: any[], patch: any[], key: string, path: string[]): any[] {
  if (patch.some((p) => isPlainObject(p) && p.$patch === 'replace')) {
    return stripDirectives(patch.filter((p) => !(isPlainObject(p) && p.$patch === 'replace')));
  }
  const out = orig.slice();
  for (const p of patch) {
    if (!isPlainObject(p)) {
      out.push(p);
      continue;
    }
    const idx = out.findIndex((o) => isPlainObject(o) && o[key] === p[key]);
    if (p.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
    } else if (idx >= 0) out[idx] = strategicMergePatch(out[idx], p, path);
    else out.push(stripDirectives(p));
  }
  return out;
}

export function strategicMergePatch(orig: unknown, patch: unknown, path: string[] = []): any {
  if (!isPlainObject(patch)) return structuredCloneSafe(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  const out: Record<string, any> = isPlainObject(orig) ? { ...orig } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[field]) && Array.isArray(v)) out[field] = out[field].filter((x: unknown) => !v.includes(x));
      continue;
    }
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v)) {
      const key = mergeKeyFor(k, path);
      if (key && Array.isArray(out[k])) out[k] = mergeList(out[k], v, key, [...path, k]);
      else if (MERGED_PRIMITIVE_LISTS.has(k) && Array.isArray(out[k])) out[k] = [...new Set([...out[k], ...v])];
      else out[k] = stripDirectives(v);
    } else if (isPlainObject(v)) {
      if (v.$patch === 'delete') delete out[k];
      else out[k] = strategicMergePatch(out[k], v, [...path, k]);
    } else out[k] = v;
  }
  return out;
}
