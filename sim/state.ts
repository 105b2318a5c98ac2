// The API semantics of the simulator: resource registry, and get/list/create/update/patch/delete with the
// rules of kube-apiserver (resourceVersion, uid, generation, finalizers, status subresource, namespaces, CRDs).
import { randomUUID } from 'node:crypto';
import { builtinResources } from './builtins.js';
import { crdResourceType, crdResourceTypes, crdStatus, defaultCrd, validateCrd } from './crd.js';
import { canonical, generateNameSuffix, nowTimestamp, validateMetadataMaps, validateName } from './meta.js';
import { applyJsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { apiVersionOf, groupResource, selectableFields, type ResourceType } from './resources.js';
import { fieldMatcher, labelMatcher, type Matcher } from './selectors.js';
import { makeEntry, objectKey, ResourceStore, type Entry } from './store.js';
import {
  alreadyExists,
  badRequest,
  conflict,
  expired,
  forbidden,
  invalid,
  MODIFIED_CONFLICT,
  notFound,
  unsupportedMediaType,
  type FieldError,
} from './status.js';
import { processCustomResource, strictDecodingError } from './schema/index.js';

export const CRD_STORE = 'apiextensions.k8s.io/customresourcedefinitions';
const NAMESPACE_STORE = '/namespaces';
const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);
export const INITIAL_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export interface WriteOptions {
  dryRun?: boolean;
  fieldValidation?: FieldValidation;
  /** 'status' for the /status subresource. */
  subresource?: string;
  /** Seed objects keep their status (a create through the API resets it like the real strategies). */
  keepStatus?: boolean;
  fieldManager?: string;
  /** A patch: strict decoding errors name the fields without the "cannot be handled as" prefix. */
  patch?: boolean;
}

export interface WriteResult {
  obj: any;
  warnings: string[];
  created?: boolean;
}

export interface ListOptions {
  labelSelector?: string | null;
  fieldSelector?: string | null;
  limit?: number;
  continueToken?: string | null;
  resourceVersion?: string | null;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export type DeleteResult = { kind: 'object'; obj: any } | { kind: 'gone'; obj: any };

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

function isPlainObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function withoutMetaAndStatus(obj: any): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return JSON.stringify(rest);
}

function specOnly(obj: any): string {
  return JSON.stringify(obj.spec ?? null);
}

function jsonEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class ApiState {
  rv = 0;
  private readonly types = new Map<string, ResourceType>();
  private readonly stores = new Map<string, ResourceStore>();
  private readonly crdTypes = new Map<string, ResourceType[]>();
  private nextClusterIp = 10;
  /** Continue tokens of lists at or before the last compaction are expired (etcd compacts their revision). */
  private compactedRv = 0;

  constructor(private readonly historySize: number) {
    for (const rt of builtinResources()) this.register(rt);
    this.register(crdResourceType());
  }

  // ---- registry -----------------------------------------------------------------------------------

  private register(rt: ResourceType): void {
    this.types.set(`${rt.group}/${rt.version}/${rt.plural}`, rt);
    if (!this.stores.has(rt.storeKey)) this.stores.set(rt.storeKey, new ResourceStore(this.historySize, this.rv));
  }

  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.get(`${group}/${version}/${plural}`);
  }

  allTypes(): ResourceType[] {
    return [...this.types.values()];
  }

  store(rt: ResourceType): ResourceStore {
    const s = this.stores.get(rt.storeKey);
    if (!s) throw new Error(`no store for ${rt.storeKey}`);
    return s;
  }

  private storeByKey(key: string): ResourceStore | undefined {
    return this.stores.get(key);
  }

  namespaceExists(ns: string): boolean {
    return this.stores.get(NAMESPACE_STORE)!.items.has(ns);
  }

  private namespaceEntry(ns: string): Entry | undefined {
    return this.stores.get(NAMESPACE_STORE)!.items.get(ns);
  }

  /**
   * Like kube-apiserver's compactor, which writes its compaction key to etcd (a new revision) and then compacts up
   * to it: earlier versions are gone, while lists taken after the compaction stay consistent and can continue.
   */
  compact(): void {
    const rv = this.nextRv();
    for (const s of this.stores.values()) s.compact(rv);
    this.compactedRv = rv;
  }

  /**
   * Drops every object and custom resource type. The version counter keeps increasing, unless `newStorage`: then
   * it starts again from 0, as on an API server that came back with a new, empty etcd.
   */
  reset(o: { newStorage?: boolean } = {}): void {
    for (const name of [...this.crdTypes.keys()]) this.unserveCrd(name);
    if (o.newStorage) {
      this.rv = 0;
      this.compactedRv = 0;
    }
    for (const s of this.stores.values()) s.clear(this.rv);
  }

  private nextRv(): number {
    return ++this.rv;
  }

  private storedJsonFor(rt: ResourceType, entry: Entry): string {
    const av = apiVersionOf(rt);
    if (entry.obj.apiVersion === av) return entry.json;
    return JSON.stringify({ ...entry.obj, apiVersion: av });
  }

  /** The object as the client of `rt`'s version sees it. */
  view(rt: ResourceType, entry: Entry): any {
    const av = apiVersionOf(rt);
    return entry.obj.apiVersion === av ? entry.obj : { ...entry.obj, apiVersion: av };
  }

  viewJson(rt: ResourceType, entry: Entry): string {
    return this.storedJsonFor(rt, entry);
  }

  // ---- reads --------------------------------------------------------------------------------------

  get(rt: ResourceType, ns: string | undefined, name: string): Entry {
    const e = this.store(rt).get(objectKey(rt.namespaced ? ns : undefined, name));
    if (!e) throw notFound(groupResource(rt), name);
    return e;
  }

  matcher(
    rt: ResourceType,
    ns: string | undefined,
    labelSelector?: string | null,
    fieldSelector?: string | null,
  ): (obj: any) => boolean {
    const labels: Matcher | undefined = labelMatcher(labelSelector);
    const fields: Matcher | undefined = fieldMatcher(
      fieldSelector,
      new Set(['metadata.name', 'metadata.namespace', ...rt.fieldSelectors]),
    );
    const nsFilter = rt.namespaced && ns ? ns : undefined;
    return (obj: any) => {
      if (nsFilter !== undefined && obj.metadata?.namespace !== nsFilter) return false;
      if (labels && !labels(obj.metadata?.labels ?? {})) return false;
      if (fields && !fields(selectableFields(rt, obj))) return false;
      return true;
    };
  }

  /** A list response as JSON text (items are pre-encoded). */
  listJson(rt: ResourceType, ns: string | undefined, opts: ListOptions): string {
    const store = this.store(rt);
    const match = this.matcher(rt, ns, opts.labelSelector, opts.fieldSelector);
    const hasSelector = Boolean(opts.labelSelector?.trim() || opts.fieldSelector?.trim());
    let listRv = this.rv;
    let startKey = '';
    if (opts.continueToken) {
      if (opts.resourceVersion && opts.resourceVersion !== '0') {
        throw badRequest('specifying resource version is not allowed when using continue');
      }
      const tok = decodeContinue(opts.continueToken);
      // rv -1 (handed out with a 410) continues at the current state, inconsistently, like the real server.
      if (tok.rv !== -1 && (tok.rv < store.floor || tok.rv < this.compactedRv)) {
        const err = expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
        err.status.metadata.continue = encodeContinue(-1, tok.start);
        throw err;
      }
      if (tok.rv !== -1) listRv = tok.rv;
      startKey = tok.start;
    }
    // The watch cache serves resourceVersion=0 lists whole: limit is ignored there, as on a real server.
    const limit = opts.resourceVersion === '0' && !opts.continueToken ? 0 : (opts.limit ?? 0);
    const keys = store.sortedKeys();
    let i = 0;
    if (startKey) {
      let lo = 0;
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (keys[mid] < startKey) lo = mid + 1;
        else hi = mid;
      }
      i = lo;
    } else if (rt.namespaced && ns) {
      const prefix = `${ns}/`;
      let lo = 0;
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (keys[mid] < prefix) lo = mid + 1;
        else hi = mid;
      }
      i = lo;
    }
    const nsPrefix = rt.namespaced && ns ? `${ns}/` : undefined;
    const items: string[] = [];
    const stripPrefix = rt.builtin
      ? `{"kind":${JSON.stringify(rt.kind)},"apiVersion":${JSON.stringify(apiVersionOf(rt))},`
      : undefined;
    let lastKey = '';
    let more = false;
    for (; i < keys.length; i++) {
      const key = keys[i];
      if (nsPrefix && !key.startsWith(nsPrefix)) break;
      const entry = store.items.get(key)!;
      if (!match(entry.obj)) continue;
      if (limit > 0 && items.length >= limit) {
        more = true;
        break;
      }
      let json = this.storedJsonFor(rt, entry);
      if (stripPrefix && json.startsWith(stripPrefix)) json = `{${json.slice(stripPrefix.length)}`;
      items.push(json);
      lastKey = key;
    }
    const meta: Record<string, unknown> = { resourceVersion: String(listRv) };
    if (more) {
      meta.continue = encodeContinue(listRv, `${lastKey}\u0000`);
      if (!hasSelector) {
        let remaining = 0;
        for (let j = i; j < keys.length; j++) {
          if (nsPrefix && !keys[j].startsWith(nsPrefix)) break;
          remaining++;
        }
        meta.remainingItemCount = remaining;
      }
    }
    return `{"kind":${JSON.stringify(rt.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(rt))},"metadata":${JSON.stringify(meta)},"items":[${items.join(',')}]}`;
  }

  // ---- writes -------------------------------------------------------------------------------------

  private checkKindAndVersion(rt: ResourceType, obj: any): void {
    const av = apiVersionOf(rt);
    if (obj.apiVersion === undefined || obj.apiVersion === '') {
      if (!rt.builtin) throw badRequest(`Object 'apiVersion' is missing in '${JSON.stringify(obj)}'`);
      obj.apiVersion = av;
    }
    if (obj.kind === undefined || obj.kind === '') {
      if (!rt.builtin) throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(obj)}'`);
      obj.kind = rt.kind;
    }
    if (obj.kind !== rt.kind || obj.apiVersion !== av) {
      if (obj.apiVersion !== av) {
        throw badRequest(
          `the API version in the data (${obj.apiVersion}) does not match the expected API version (${av})`,
        );
      }
      throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${rt.kind})`);
    }
  }

  private decodeBody(rt: ResourceType, body: unknown): any {
    if (!isPlainObject(body)) {
      throw badRequest(
        `the object provided is unrecognized (must be of type ${rt.kind}): couldn't get version/kind; json parse error: expected an object`,
      );
    }
    const obj = structuredClone(body) as any;
    if (obj.metadata !== undefined && !isPlainObject(obj.metadata)) {
      throw badRequest(
        `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: json: cannot unmarshal into Go struct field ${rt.kind}.metadata of type v1.ObjectMeta`,
      );
    }
    obj.metadata = obj.metadata ?? {};
    return obj;
  }

  /** Schema pruning/defaulting/validation for custom resources, metadata rules for all. */
  private validate(rt: ResourceType, obj: any, opts: WriteOptions, warnings: string[], extra: FieldError[] = []): any {
    const errs: FieldError[] = [...extra];
    let out = obj;
    if (rt.schema) {
      const res = processCustomResource(rt.schema, obj, { strict: opts.fieldValidation === 'Strict' });
      out = res.object;
      out.metadata = obj.metadata;
      if (res.unknownFields.length > 0) {
        if (opts.fieldValidation === 'Strict') {
          const msg = strictDecodingError(res.unknownFields);
          throw badRequest(
            opts.patch ? msg : `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: ${msg}`,
          );
        }
        if (opts.fieldValidation !== 'Ignore') for (const f of res.unknownFields) warnings.push(`unknown field "${f}"`);
      }
      for (const c of res.causes) errs.push({ type: c.reason, field: c.field, message: c.message });
    }
    if (rt.normalize) {
      const more = rt.normalize(out);
      if (more) errs.push(...more);
    }
    if (rt.storeKey === CRD_STORE) {
      defaultCrd(out);
      errs.push(...validateCrd(out));
    }
    errs.push(...validateMetadataMaps(out.metadata));
    if (errs.length > 0) throw invalid(rt.group, rt.kind, out.metadata.name ?? '', errs);
    return out;
  }

  create(rt: ResourceType, ns: string | undefined, body: unknown, opts: WriteOptions = {}): WriteResult {
    const gr = groupResource(rt);
    let obj = this.decodeBody(rt, body);
    this.checkKindAndVersion(rt, obj);
    const meta = obj.metadata;
    if (rt.namespaced) {
      if (meta.namespace && ns && meta.namespace !== ns) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      ns = ns || meta.namespace;
      if (!ns) throw badRequest('the server could not find the requested resource');
      meta.namespace = ns;
      const nsEntry = this.namespaceEntry(ns);
      if (!nsEntry) throw notFound({ group: '', resource: 'namespaces' }, ns);
      if (nsEntry.obj.metadata.deletionTimestamp) {
        throw forbidden(
          gr,
          meta.name ?? '',
          `unable to create new content in namespace ${ns} because it is being terminated`,
        );
      }
    } else delete meta.namespace;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${generateNameSuffix()}`;
    const nameErrs: FieldError[] = meta.name
      ? validateName(String(meta.name), rt.nameRule)
      : [
          {
            type: 'FieldValueRequired',
            field: 'metadata.name',
            message: 'Required value: name or generateName is required',
          },
        ];
    if (rt.storeKey === CRD_STORE && this.crdBeingDeleted(meta.name)) {
      throw conflict(gr, meta.name, 'the object is being deleted');
    }
    for (const k of [
      'uid',
      'resourceVersion',
      'creationTimestamp',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'selfLink',
      'managedFields',
      'generation',
    ]) {
      delete meta[k];
    }
    // Seed objects keep a status they bring; without one they start like an API create (Active, Pending).
    if ((!opts.keepStatus || obj.status === undefined) && rt.statusSubresource) {
      if (rt.initialStatus) obj.status = rt.initialStatus(obj);
      else delete obj.status;
    }
    rt.prepareCreate?.(obj, { allocate: () => this.allocateClusterIp() });
    const warnings: string[] = [];
    obj = this.validate(rt, obj, opts, warnings, nameErrs);
    const key = objectKey(rt.namespaced ? ns : undefined, obj.metadata.name);
    const store = this.store(rt);
    if (store.get(key)) throw alreadyExists(gr, obj.metadata.name);
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = nowTimestamp();
    if (rt.hasGeneration) obj.metadata.generation = 1;
    if (rt.storeKey === CRD_STORE) obj.status = crdStatus(obj, obj.metadata.creationTimestamp);
    if (opts.dryRun) return { obj: canonical(obj), warnings, created: true };
    obj.metadata.resourceVersion = String(this.nextRv());
    const entry = makeEntry(canonical(obj));
    store.put(key, entry, 'ADDED');
    this.afterWrite(rt, entry, undefined);
    return { obj: this.view(rt, entry), warnings, created: true };
  }

  private allocateClusterIp(): string {
    const n = this.nextClusterIp++;
    return `10.96.${(n >> 8) & 255}.${n & 255}`;
  }

  update(rt: ResourceType, ns: string | undefined, name: string, body: unknown, opts: WriteOptions = {}): WriteResult {
    const obj = this.decodeBody(rt, body);
    this.checkKindAndVersion(rt, obj);
    if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (rt.namespaced && obj.metadata.namespace && obj.metadata.namespace !== ns) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const old = this.get(rt, ns, name);
    const rv = obj.metadata.resourceVersion;
    if (!rt.builtin && (rv === undefined || rv === '' || rv === '0')) {
      // Custom resources do not allow unconditional updates (the registry answers in terms of the resource).
      throw invalid(rt.group, rt.plural, name, [
        {
          type: 'FieldValueInvalid',
          field: 'metadata.resourceVersion',
          message: 'Invalid value: 0x0: must be specified for an update',
        },
      ]);
    }
    return this.applyUpdate(rt, old, obj, opts);
  }

  private applyUpdate(rt: ResourceType, old: Entry, incoming: any, opts: WriteOptions): WriteResult {
    const gr = groupResource(rt);
    const oldObj = this.view(rt, old);
    const name = oldObj.metadata.name;
    const requestedRv = incoming.metadata?.resourceVersion;
    if (requestedRv !== undefined && requestedRv !== '' && String(requestedRv) !== oldObj.metadata.resourceVersion) {
      throw conflict(gr, name, MODIFIED_CONFLICT);
    }
    if (incoming.metadata?.uid && incoming.metadata.uid !== oldObj.metadata.uid) {
      throw conflict(
        gr,
        name,
        `Precondition failed: UID in precondition: ${incoming.metadata.uid}, UID in object meta: ${oldObj.metadata.uid}`,
      );
    }
    let obj: any;
    if (opts.subresource === 'status') {
      obj = structuredClone(oldObj);
      if (incoming.status === undefined) delete obj.status;
      else obj.status = incoming.status;
    } else {
      obj = incoming;
      const m = obj.metadata;
      m.name = oldObj.metadata.name;
      if (rt.namespaced) m.namespace = oldObj.metadata.namespace;
      else delete m.namespace;
      for (const k of [
        'uid',
        'creationTimestamp',
        'deletionTimestamp',
        'deletionGracePeriodSeconds',
        'generation',
      ] as const) {
        if (oldObj.metadata[k] === undefined) delete m[k];
        else m[k] = oldObj.metadata[k];
      }
      delete m.managedFields;
      delete m.selfLink;
      if (rt.statusSubresource) {
        if (oldObj.status === undefined) delete obj.status;
        else obj.status = structuredClone(oldObj.status);
      }
      if (oldObj.metadata.deletionTimestamp) {
        const before = new Set<string>(oldObj.metadata.finalizers ?? []);
        const added = ((m.finalizers ?? []) as string[]).filter((f) => !before.has(f));
        if (added.length > 0) {
          throw invalid(rt.group, rt.kind, name, [
            {
              type: 'FieldValueForbidden',
              field: 'metadata.finalizers',
              message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
            },
          ]);
        }
      }
    }
    obj.metadata.resourceVersion = oldObj.metadata.resourceVersion;
    const warnings: string[] = [];
    obj = this.validate(rt, obj, opts, warnings);
    if (rt.storeKey === CRD_STORE) obj.status = crdStatus(obj, nowTimestamp(), oldObj.status);
    if (rt.hasGeneration) {
      const changed = rt.builtin
        ? specOnly(obj) !== specOnly(oldObj)
        : withoutMetaAndStatus(obj) !== withoutMetaAndStatus(oldObj);
      obj.metadata.generation = (oldObj.metadata.generation ?? 1) + (changed ? 1 : 0);
    }
    const candidate = canonical(obj);
    const finalizing = Boolean(candidate.metadata.deletionTimestamp) && !(candidate.metadata.finalizers?.length > 0);
    if (!finalizing && JSON.stringify(candidate) === this.storedJsonFor(rt, old)) {
      return { obj: oldObj, warnings };
    }
    if (opts.dryRun) return { obj: candidate, warnings };
    candidate.metadata.resourceVersion = String(this.nextRv());
    if (candidate.apiVersion !== old.obj.apiVersion) candidate.apiVersion = old.obj.apiVersion;
    const entry = makeEntry(candidate);
    const key = objectKey(rt.namespaced ? candidate.metadata.namespace : undefined, name);
    const store = this.store(rt);
    if (finalizing) {
      store.remove(key, entry);
      this.afterRemove(rt, entry);
    } else {
      store.put(key, entry, 'MODIFIED');
      this.afterWrite(rt, entry, old);
    }
    return { obj: this.view(rt, entry), warnings };
  }

  patch(
    rt: ResourceType,
    ns: string | undefined,
    name: string,
    contentType: string,
    patchBody: unknown,
    opts: WriteOptions = {},
  ): WriteResult {
    const accepted = [
      PATCH_TYPES.json,
      PATCH_TYPES.merge,
      ...(rt.builtin ? [PATCH_TYPES.strategic] : []),
      PATCH_TYPES.apply,
    ];
    if (!accepted.includes(contentType as any)) throw unsupportedMediaType(contentType, accepted);
    if (contentType === PATCH_TYPES.apply) {
      if (!opts.fieldManager) {
        throw invalid('meta.k8s.io', 'PatchOptions', '', [
          { type: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' },
        ]);
      }
      if (!isPlainObject(patchBody)) throw badRequest('error decoding YAML: the apply patch must be an object');
      const existing = this.store(rt).get(objectKey(rt.namespaced ? ns : undefined, name));
      if (!existing) {
        const body = structuredClone(patchBody) as any;
        body.metadata = { ...(body.metadata ?? {}), name };
        if (rt.namespaced) body.metadata.namespace = ns;
        return this.create(rt, ns, body, { ...opts, patch: true });
      }
    }
    const old = this.get(rt, ns, name);
    const current = this.view(rt, old);
    let patched: unknown;
    switch (contentType) {
      case PATCH_TYPES.json:
        patched = applyJsonPatch(current, patchBody);
        break;
      case PATCH_TYPES.merge:
      case PATCH_TYPES.apply:
        if (!isPlainObject(patchBody))
          throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
        patched = mergePatch(current, patchBody);
        break;
      default:
        if (!isPlainObject(patchBody))
          throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
        patched = strategicMergePatch(current, patchBody);
    }
    if (!isPlainObject(patched)) throw badRequest('the patched object is not an object');
    const obj = patched as any;
    if (!isPlainObject(obj.metadata)) obj.metadata = {};
    if (obj.metadata.name !== name) obj.metadata.name = name;
    this.checkKindAndVersion(rt, obj);
    return this.applyUpdate(rt, old, obj, { ...opts, patch: true });
  }

  delete(rt: ResourceType, ns: string | undefined, name: string, options: DeleteOptions = {}): DeleteResult {
    const gr = groupResource(rt);
    const old = this.get(rt, ns, name);
    const oldObj = this.view(rt, old);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== oldObj.metadata.uid) {
      throw conflict(
        gr,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${oldObj.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== oldObj.metadata.resourceVersion) {
      throw conflict(
        gr,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${oldObj.metadata.resourceVersion}`,
      );
    }
    if (rt.storeKey === NAMESPACE_STORE && IMMORTAL_NAMESPACES.has(name)) {
      throw forbidden(gr, name, 'this namespace may not be deleted');
    }
    if (options.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(options.propagationPolicy)) {
      throw invalid('meta.k8s.io', 'DeleteOptions', '', [
        {
          type: 'FieldValueNotSupported',
          field: 'propagationPolicy',
          message: `Unsupported value: "${options.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"`,
        },
      ]);
    }
    const cascades = rt.storeKey === NAMESPACE_STORE || rt.storeKey === CRD_STORE;
    const hasFinalizers = (oldObj.metadata.finalizers?.length ?? 0) > 0;
    if (hasFinalizers || cascades) {
      if (oldObj.metadata.deletionTimestamp) return { kind: 'object', obj: oldObj };
      const marked = structuredClone(oldObj);
      marked.metadata.deletionTimestamp = nowTimestamp();
      marked.metadata.deletionGracePeriodSeconds = options.gracePeriodSeconds ?? 0;
      // markAsDeleting bumps the generation so controllers see the deletion through observedGeneration.
      if (marked.metadata.generation > 0) marked.metadata.generation += 1;
      if (rt.storeKey === NAMESPACE_STORE) marked.status = { ...(marked.status ?? {}), phase: 'Terminating' };
      if (rt.storeKey === CRD_STORE)
        marked.status = crdStatus(marked, marked.metadata.deletionTimestamp, marked.status);
      if (options.dryRun) return { kind: 'object', obj: marked };
      marked.metadata.resourceVersion = String(this.nextRv());
      const entry = makeEntry(canonical(marked));
      this.store(rt).put(objectKey(rt.namespaced ? ns : undefined, name), entry, 'MODIFIED');
      if (rt.storeKey === NAMESPACE_STORE) this.terminateNamespace(name);
      if (rt.storeKey === CRD_STORE) this.terminateCrd(name);
      const now = this.store(rt).get(objectKey(rt.namespaced ? ns : undefined, name));
      return { kind: now ? 'object' : 'gone', obj: now ? this.view(rt, now) : this.view(rt, entry) };
    }
    if (options.dryRun) return { kind: 'gone', obj: oldObj };
    const gone = this.removeNow(rt, old);
    return { kind: 'gone', obj: this.view(rt, gone) };
  }

  private removeNow(rt: ResourceType, old: Entry): Entry {
    const obj = structuredClone(old.obj);
    obj.metadata.resourceVersion = String(this.nextRv());
    const entry = makeEntry(obj);
    const key = objectKey(rt.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name);
    this.store(rt).remove(key, entry);
    this.afterRemove(rt, entry);
    return entry;
  }

  deleteCollection(rt: ResourceType, ns: string | undefined, list: ListOptions, options: DeleteOptions): string {
    const match = this.matcher(rt, ns, list.labelSelector, list.fieldSelector);
    const store = this.store(rt);
    const targets = [...store.items.values()].filter((e) => match(e.obj));
    const items: string[] = [];
    for (const e of targets) {
      const res = this.delete(rt, e.obj.metadata.namespace, e.obj.metadata.name, options);
      items.push(JSON.stringify(res.obj));
    }
    return `{"kind":${JSON.stringify(rt.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(rt))},"metadata":{"resourceVersion":"${this.rv}"},"items":[${items.join(',')}]}`;
  }

  // ---- side effects of writes (the controllers a real cluster runs) -------------------------------

  private afterWrite(rt: ResourceType, entry: Entry, old: Entry | undefined): void {
    if (rt.storeKey === NAMESPACE_STORE && !old) {
      const sa = this.lookup('', 'v1', 'serviceaccounts')!;
      if (!this.store(sa).get(`${entry.obj.metadata.name}/default`)) {
        this.create(sa, entry.obj.metadata.name, { metadata: { name: 'default' } });
      }
    }
    if (rt.storeKey === CRD_STORE) this.serveCrd(entry.obj);
  }

  private afterRemove(rt: ResourceType, entry: Entry): void {
    if (rt.storeKey === CRD_STORE) {
      this.unserveCrd(entry.obj.metadata.name);
      return;
    }
    const ns = entry.obj.metadata.namespace;
    if (ns && entry.obj.metadata.uid) this.collectDependents(ns, entry.obj.metadata.uid);
    if (ns) {
      const nsEntry = this.namespaceEntry(ns);
      if (nsEntry?.obj.metadata.deletionTimestamp) this.tryFinalizeNamespace(ns);
    }
    if (!rt.builtin && rt.crdName) {
      const crd = this.storeByKey(CRD_STORE)!.get(rt.crdName);
      if (crd?.obj.metadata.deletionTimestamp) this.tryFinalizeCrd(rt.crdName);
    }
  }

  /**
   * The garbage collector, for namespaced owners: objects in the namespace whose only remaining ownerReference
   * pointed at the removed object are deleted too (background propagation).
   */
  private collectDependents(ns: string, ownerUid: string): void {
    for (const rt of this.primaryTypes()) {
      if (!rt.namespaced) continue;
      for (const e of [...this.store(rt).items.values()]) {
        const refs: { uid?: string }[] = e.obj.metadata.namespace === ns ? (e.obj.metadata.ownerReferences ?? []) : [];
        if (!refs.some((r) => r.uid === ownerUid)) continue;
        if (refs.some((r) => r.uid !== ownerUid && this.uidExists(ns, r.uid))) continue;
        try {
          this.delete(rt, ns, e.obj.metadata.name);
        } catch {
          // removed meanwhile
        }
      }
    }
  }

  private uidExists(ns: string, uid: string | undefined): boolean {
    if (!uid) return false;
    return this.primaryTypes().some((rt) =>
      [...this.store(rt).items.values()].some(
        (e) => e.obj.metadata.uid === uid && (!rt.namespaced || e.obj.metadata.namespace === ns),
      ),
    );
  }

  private terminateNamespace(ns: string): void {
    for (const rt of this.primaryTypes()) {
      if (!rt.namespaced) continue;
      const store = this.store(rt);
      const prefix = `${ns}/`;
      for (const key of store.sortedKeys().slice()) {
        if (!key.startsWith(prefix)) continue;
        const e = store.get(key);
        if (e) this.delete(rt, ns, e.obj.metadata.name, {});
      }
    }
    this.tryFinalizeNamespace(ns);
  }

  private tryFinalizeNamespace(ns: string): void {
    for (const rt of this.primaryTypes()) {
      if (!rt.namespaced) continue;
      const store = this.store(rt);
      for (const key of store.items.keys()) if (key.startsWith(`${ns}/`)) return;
    }
    const nsType = this.lookup('', 'v1', 'namespaces')!;
    const entry = this.store(nsType).get(ns);
    if (entry) this.removeNow(nsType, entry);
  }

  private crdBeingDeleted(name: string | undefined): boolean {
    if (!name) return false;
    return Boolean(this.storeByKey(CRD_STORE)!.get(name)?.obj.metadata.deletionTimestamp);
  }

  private terminateCrd(name: string): void {
    const types = this.crdTypes.get(name);
    if (types && types.length > 0) {
      const rt = types[0];
      const store = this.store(rt);
      for (const e of [...store.items.values()]) this.delete(rt, e.obj.metadata.namespace, e.obj.metadata.name, {});
    }
    this.tryFinalizeCrd(name);
  }

  private tryFinalizeCrd(name: string): void {
    const types = this.crdTypes.get(name);
    if (types && types.length > 0 && this.store(types[0]).items.size > 0) return;
    const crdType = crdResourceType();
    const entry = this.storeByKey(CRD_STORE)!.get(name);
    if (entry) this.removeNow(crdType, entry);
  }

  /** One type per store (the first registered version) for cascading deletes. */
  private primaryTypes(): ResourceType[] {
    const seen = new Set<string>();
    const out: ResourceType[] = [];
    for (const rt of this.types.values()) {
      if (seen.has(rt.storeKey)) continue;
      seen.add(rt.storeKey);
      out.push(rt);
    }
    return out;
  }

  private serveCrd(crd: any): void {
    const name = crd.metadata.name;
    const previous = this.crdTypes.get(name) ?? [];
    for (const rt of previous) this.types.delete(`${rt.group}/${rt.version}/${rt.plural}`);
    const types = crdResourceTypes(crd);
    for (const rt of types) this.register(rt);
    this.crdTypes.set(name, types);
  }

  private unserveCrd(name: string): void {
    const types = this.crdTypes.get(name) ?? [];
    for (const rt of types) this.types.delete(`${rt.group}/${rt.version}/${rt.plural}`);
    this.crdTypes.delete(name);
    if (types.length > 0) {
      const store = this.stores.get(types[0].storeKey);
      if (store) {
        // Open watches of a removed resource end, as the real server closes them when it stops serving.
        for (const w of store.watchers) (w as { close?: () => void }).close?.();
        this.stores.delete(types[0].storeKey);
      }
    }
  }
}

/** The etcd3 store's token: unpadded base64url of {"v","rv","start"}. */
export function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

/** Decodes a continue token with the checks and messages of k8s.io/apiserver/pkg/storage.DecodeContinue. */
export function decodeContinue(token: string): { rv: number; start: string } {
  const invalidToken = (why: string) => badRequest(`invalid continue token: continue key is not valid${why}`);
  if (!/^[A-Za-z0-9_-]*$/.test(token) || token.length % 4 === 1) {
    throw invalidToken(': illegal base64 data');
  }
  let t: any;
  try {
    t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (e) {
    throw invalidToken(`: ${(e as Error).message}`);
  }
  if (!isPlainObject(t)) throw invalidToken(': json: cannot unmarshal into Go value of type storage.continueToken');
  if (t.v !== 'meta.k8s.io/v1') throw invalidToken(`: server does not recognize this encoded version ${t.v ?? ''}`);
  if (typeof t.rv !== 'number' || !Number.isInteger(t.rv) || t.rv === 0) {
    throw invalidToken(': incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (typeof t.start !== 'string' || t.start === '') {
    throw invalidToken(': encoded start key empty (version meta.k8s.io/v1)');
  }
  if (t.start.split('/').includes('..')) throw invalidToken(`: ${t.start}`);
  return { rv: t.rv, start: t.start };
}

export { jsonEqual };
