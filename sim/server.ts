// HTTP front of the simulator: authentication, routing of Kubernetes API paths, bodies, and Status errors.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import yaml from 'js-yaml';
import {
  AGGREGATED_CONTENT_TYPE,
  aggregatedDoc,
  apiGroupDoc,
  apiGroupListDoc,
  apiResourceListDoc,
  apiVersionsDoc,
  groups,
  VERSION_INFO,
  wantsAggregated,
} from './discovery.js';
import type { FaultPlan } from './faults.js';
import type { OpenApiV3 } from './openapi.js';
import { ADMIN, attributesOf, verbOf, type Identity, type RbacAuthorizer } from './rbac.js';
import { selfSubjectAccessReview } from './access-review.js';
import { auditRequest, type AuditEvent } from './audit.js';
import { impersonate } from './impersonation.js';
import type { ResourcePath, ResourceType } from './resources.js';
import {
  CRD_STORE,
  PATCH_TYPES,
  type ApiState,
  type DeleteOptions,
  type FieldValidation,
  type WriteOptions,
} from './state.js';
import {
  ApiError,
  badRequest,
  internalError,
  invalid,
  methodNotAllowed,
  PlainTextError,
  resourceVersionTooLarge,
  successStatus,
  tooLarge,
  unauthorized,
  unknownResource,
  unsupportedMediaType,
} from './status.js';
import { buildTable, includeObjectParam, tableVersion } from './table.js';
import { startWatch, type ActiveWatch } from './watch.js';

const MAX_BODY = 3 * 1024 * 1024;

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface ServerContext {
  state: ApiState;
  token: string;
  faults: FaultPlan;
  watches: Set<ActiveWatch>;
  bookmarkIntervalMs: number;
  recording: { on: boolean; requests: RecordedRequest[] };
  /** Resource requests as kube-apiserver's audit log records them (sim/audit.ts). */
  audit: AuditEvent[];
  serverAddress(): string;
  openapi: OpenApiV3;
  rbac: RbacAuthorizer;
  /** What `/version` answers. */
  versionInfo: typeof VERSION_INFO;
}

/** A parsed resource path: /api/v1/namespaces/{ns}/{resource}/{name}/{subresource}. */
export function checkToken(ctx: ServerContext, header: string | undefined): boolean {
  if (!header) return false;
  const m = header.match(/^Bearer\s+(.+)$/i);
  if (!m) return false;
  const a = Buffer.from(m[1].trim());
  const b = Buffer.from(ctx.token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The admin (the simulator's own token) or a service account (sim/rbac.ts); undefined means 401. */
export function authenticate(ctx: ServerContext, header: string | undefined): Identity | undefined {
  if (checkToken(ctx, header)) return ADMIN;
  const m = header?.match(/^Bearer\s+(.+)$/i);
  return m ? ctx.rbac.identify(m[1].trim()) : undefined;
}

/** Resolves a path under /api or /apis to a resource; undefined when it is not a resource path. */
export function parseResourcePath(state: ApiState, segs: string[]): ResourcePath | undefined {
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api') {
    if (segs.length < 3) return undefined;
    group = '';
    version = segs[1];
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    if (segs.length < 4) return undefined;
    group = segs[1];
    version = segs[2];
    rest = segs.slice(3);
  } else return undefined;
  if (rest[0] === 'watch') rest = rest.slice(1);
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const rt = state.lookup(group, version, rest[2]);
    if (rt && rt.namespaced) {
      if (rest.length > 5) return undefined;
      return { rt, ns: rest[1], name: rest[3], subresource: rest[4] };
    }
    if (group !== '' || rest.length > 3) return undefined;
  }
  const rt = state.lookup(group, version, rest[0]);
  if (!rt || rest.length > 3) return undefined;
  return { rt, name: rest[1], subresource: rest[2] };
}

function isWatchPath(segs: string[]): boolean {
  return (segs[0] === 'api' && segs[2] === 'watch') || (segs[0] === 'apis' && segs[3] === 'watch');
}

function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', ...headers });
  res.end(text);
}

function sendPlainText(res: ServerResponse, err: PlainTextError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(err.code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(err.text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.code, err.status, err.headers);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(tooLarge());
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function mediaType(req: IncomingMessage): string {
  return String(req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
}

function parseBody(raw: Buffer, type: string, kind: string): unknown {
  const text = raw.toString('utf8');
  if (type === 'application/yaml' || type === PATCH_TYPES.apply) {
    try {
      return yaml.load(text);
    } catch (e) {
      throw badRequest(`error converting YAML to JSON: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const hex = raw.subarray(0, 16).toString('hex');
    throw badRequest(
      `the object provided is unrecognized (must be of type ${kind}): couldn't get version/kind; json parse error: ${(e as Error).message} (${hex})`,
    );
  }
}

function parseFieldValidation(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Ignore' || v === 'Warn' || v === 'Strict') return v;
  throw badRequest(`fieldValidation parameter unsupported: ${v}`);
}

function parseDryRun(q: URLSearchParams, bodyDryRun?: unknown): boolean {
  const values = [...q.getAll('dryRun'), ...(Array.isArray(bodyDryRun) ? bodyDryRun.map(String) : [])];
  for (const v of values) if (v !== 'All') throw badRequest(`Invalid dry run value: ${v}`);
  return values.length > 0;
}

function warningHeaders(warnings: string[]): Record<string, string[]> {
  if (warnings.length === 0) return {};
  return { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`) };
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v))
    throw badRequest(`${name}: Invalid value: "${v}": strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

function boolParam(q: URLSearchParams, name: string): boolean | null {
  const v = q.get(name);
  if (v === null) return null;
  return v === '' || v === '1' || v === 'true' || v === 'True';
}

/** How long kube-apiserver's watch cache waits for a LIST's resourceVersion to arrive (blockTimeout). */
const TOO_LARGE_RV_WAIT_MS = 3000;

/**
 * A LIST at a resourceVersion newer than the store's (an API server that lost its state, or a client that talked to
 * another one) waits up to 3 s for it, like the watch cache, then fails with 504 ResourceVersionTooLarge.
 * `0`, no version and continued lists are served at once.
 */
async function waitForResourceVersion(state: ApiState, q: URLSearchParams): Promise<void> {
  const asked = q.get('resourceVersion');
  if (!asked || !/^\d+$/.test(asked) || q.get('continue')) return;
  const wanted = Number(asked);
  const deadline = Date.now() + TOO_LARGE_RV_WAIT_MS;
  while (state.rv < wanted) {
    const left = deadline - Date.now();
    if (left <= 0) throw resourceVersionTooLarge(wanted, state.rv);
    await new Promise((r) => setTimeout(r, Math.min(50, left)));
  }
}

export async function handleRequest(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sim.invalid');
  const method = (req.method ?? 'GET').toUpperCase();
  if (ctx.recording.on)
    ctx.recording.requests.push({ method, path: url.pathname + url.search, headers: { ...req.headers } });
  if (ctx.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, ctx.faults.latencyMs));
  try {
    const caller = authenticate(ctx, req.headers.authorization);
    if (!caller) throw unauthorized();
    const identity = impersonate(ctx.rbac, caller, req, req.url ?? '/');
    const injected = ctx.faults.take(url.pathname);
    if (injected) throw injected;
    await route(ctx, req, res, url, method, identity, caller);
  } catch (e) {
    if (e instanceof ApiError) sendError(res, e);
    else if (e instanceof PlainTextError) sendPlainText(res, e);
    else sendError(res, internalError((e as Error)?.message ?? String(e)));
  }
}

async function route(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  method: string,
  identity: Identity,
  caller: Identity,
): Promise<void> {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
  const state = ctx.state;
  const accept = String(req.headers.accept ?? '');

  if (path === '/version') return sendJson(res, 200, ctx.versionInfo);
  if (path === '/healthz' || path === '/livez' || path === '/readyz') {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('ok');
    return;
  }
  if (path === '/api') {
    if (wantsAggregated(accept)) {
      return sendJson(res, 200, aggregatedDoc([], state.allTypes(), true), { 'Content-Type': AGGREGATED_CONTENT_TYPE });
    }
    return sendJson(res, 200, apiVersionsDoc(ctx.serverAddress()));
  }
  const gs = () => groups(state.allTypes(), () => undefined);
  if (path === '/apis') {
    if (wantsAggregated(accept)) {
      return sendJson(res, 200, aggregatedDoc(gs(), state.allTypes(), false), {
        'Content-Type': AGGREGATED_CONTENT_TYPE,
      });
    }
    return sendJson(res, 200, apiGroupListDoc(gs()));
  }
  if (segs[0] === 'api' && segs.length === 2) {
    if (segs[1] !== 'v1') throw unknownResource();
    return sendJson(
      res,
      200,
      apiResourceListDoc(
        'v1',
        state.allTypes().filter((t) => t.group === '' && t.version === 'v1'),
      ),
    );
  }
  if (segs[0] === 'apis' && segs.length === 2) {
    const g = gs().find((x) => x.name === segs[1]);
    if (!g) throw unknownResource();
    return sendJson(res, 200, apiGroupDoc(g));
  }
  if (segs[0] === 'apis' && segs.length === 3) {
    const types = state.allTypes().filter((t) => t.group === segs[1] && t.version === segs[2]);
    if (types.length === 0) throw unknownResource();
    return sendJson(res, 200, apiResourceListDoc(`${segs[1]}/${segs[2]}`, types));
  }
  if (segs[0] === 'openapi' && segs[1] === 'v3') {
    if (segs.length === 2) return sendJson(res, 200, ctx.openapi.index(state.allTypes()));
    const doc = ctx.openapi.document(state.allTypes(), segs.slice(2).join('/'));
    if (doc !== undefined) return sendJson(res, 200, doc);
  }
  if (segs[0] !== 'api' && segs[0] !== 'apis') {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end('404 page not found\n');
    return;
  }
  const rp = parseResourcePath(state, segs);
  if (!rp) throw unknownResource();
  const watch = isWatchPath(segs) || boolParam(url.searchParams, 'watch') === true;
  const attributes = attributesOf(rp, verbOf(method, rp.name, watch));
  auditRequest(ctx.audit, { caller, identity, attributes, requestURI: url.pathname + url.search, res });
  ctx.rbac.authorize(identity, attributes);
  if (rp.rt.group === 'authorization.k8s.io' && rp.rt.plural === 'selfsubjectaccessreviews') {
    if (method !== 'POST' || rp.name || rp.subresource) throw methodNotAllowed();
    const type = mediaType(req);
    const body = parseBody(await readBody(req), type, rp.rt.kind);
    return sendJson(res, 201, selfSubjectAccessReview(ctx.rbac, identity, body));
  }
  return resource(ctx, req, res, url, method, rp, isWatchPath(segs));
}

async function resource(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  method: string,
  rp: ResourcePath,
  legacyWatch: boolean,
): Promise<void> {
  const { state } = ctx;
  const { rt, name, subresource } = rp;
  const q = url.searchParams;
  const ns = rt.namespaced ? rp.ns : undefined;
  if (rt.namespaced && !ns && (name || method === 'POST')) {
    if (name) throw unknownResource();
    throw methodNotAllowed();
  }

  if (subresource !== undefined) {
    const sub = rt.subresources.find((s) => s.name === subresource);
    if (!sub || !name) throw unknownResource();
    if (rt.plural === 'pods' && rt.group === '' && (subresource === 'exec' || subresource === 'attach')) {
      state.get(rt, ns, name);
      throw badRequest('Upgrade request required');
    }
    if (rt.plural === 'pods' && rt.group === '' && subresource === 'log') {
      if (method !== 'GET') throw methodNotAllowed();
      return podLog(ctx, res, rt, ns, name, q);
    }
    if (rt.plural === 'serviceaccounts' && rt.group === '' && subresource === 'token') {
      if (method !== 'POST') throw methodNotAllowed();
      const body = parseBody(await readBody(req), mediaType(req), sub.kind);
      return sendJson(res, 201, tokenRequest(ctx, rt, ns!, name, body));
    }
    if (subresource !== 'status') throw methodNotAllowed();
  }

  const watchRequested = legacyWatch || boolParam(q, 'watch') === true;
  const tv = method === 'GET' ? tableVersion(String(req.headers.accept ?? '')) : undefined;
  const table = tv ? { version: tv, includeObject: includeObjectParam(q) } : undefined;
  if (method === 'GET' && watchRequested) {
    let fieldSelector = q.get('fieldSelector');
    if (name) fieldSelector = fieldSelector ? `${fieldSelector},metadata.name=${name}` : `metadata.name=${name}`;
    startWatch(
      state,
      {
        rt,
        ns,
        resourceVersion: q.get('resourceVersion'),
        labelSelector: q.get('labelSelector'),
        fieldSelector,
        allowBookmarks: boolParam(q, 'allowWatchBookmarks') === true,
        timeoutSeconds: intParam(q, 'timeoutSeconds') ?? null,
        sendInitialEvents: boolParam(q, 'sendInitialEvents'),
        table,
      },
      res,
      ctx.watches,
      ctx.bookmarkIntervalMs,
    );
    return;
  }

  if (method === 'GET') {
    if (name) {
      const e = state.get(rt, ns, name);
      if (table) {
        const obj = state.view(rt, e);
        return sendJson(res, 200, buildTable(rt, [obj], { resourceVersion: obj.metadata.resourceVersion }, table));
      }
      return sendJson(res, 200, state.viewJson(rt, e));
    }
    const limit = intParam(q, 'limit');
    await waitForResourceVersion(state, q);
    const json = state.listJson(rt, ns, {
      labelSelector: q.get('labelSelector'),
      fieldSelector: q.get('fieldSelector'),
      limit: limit && limit > 0 ? limit : undefined,
      continueToken: q.get('continue'),
      resourceVersion: q.get('resourceVersion'),
    });
    if (table) {
      const list = JSON.parse(json) as { metadata: any; items: any[] };
      return sendJson(res, 200, buildTable(rt, list.items, list.metadata, table));
    }
    return sendJson(res, 200, json);
  }

  if (method === 'POST') {
    if (name || subresource) throw methodNotAllowed();
    if (!rt.verbs.includes('create')) throw methodNotAllowed();
    const type = mediaType(req);
    const accepted = rt.builtin
      ? ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']
      : ['application/json', 'application/yaml'];
    if (type && !['application/json', 'application/yaml', '*/*'].includes(type))
      throw unsupportedMediaType(type, accepted);
    const body = parseBody(await readBody(req), type, rt.kind);
    const opts: WriteOptions = {
      dryRun: parseDryRun(q),
      fieldValidation: parseFieldValidation(q),
      fieldManager: q.get('fieldManager') ?? undefined,
    };
    const r = state.create(rt, ns ?? rp.ns, body, opts);
    return sendJson(res, 201, r.obj, warningHeaders(r.warnings));
  }

  if (method === 'PUT') {
    if (!name) throw methodNotAllowed();
    const type = mediaType(req);
    if (type && !['application/json', 'application/yaml', '*/*'].includes(type)) {
      throw unsupportedMediaType(type, ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
    }
    const body = parseBody(await readBody(req), type, rt.kind);
    const opts: WriteOptions = { dryRun: parseDryRun(q), fieldValidation: parseFieldValidation(q), subresource };
    const r = state.update(rt, ns, name, body, opts);
    return sendJson(res, 200, r.obj, warningHeaders(r.warnings));
  }

  if (method === 'PATCH') {
    if (!name) throw methodNotAllowed();
    const type = mediaType(req);
    const accepted = [
      PATCH_TYPES.json,
      PATCH_TYPES.merge,
      ...(rt.builtin ? [PATCH_TYPES.strategic] : []),
      PATCH_TYPES.apply,
    ];
    if (!(accepted as string[]).includes(type)) throw unsupportedMediaType(type, accepted);
    const raw = await readBody(req);
    let patchBody: unknown;
    try {
      patchBody = type === PATCH_TYPES.apply ? yaml.load(raw.toString('utf8')) : JSON.parse(raw.toString('utf8'));
    } catch (e) {
      throw badRequest(`error decoding patch: ${(e as Error).message.split('\n')[0]}`);
    }
    const opts: WriteOptions = {
      dryRun: parseDryRun(q),
      fieldValidation: parseFieldValidation(q),
      subresource,
      fieldManager: q.get('fieldManager') ?? undefined,
    };
    const r = state.patch(rt, ns, name, type, patchBody, opts);
    return sendJson(res, r.created ? 201 : 200, r.obj, warningHeaders(r.warnings));
  }

  if (method === 'DELETE') {
    if (subresource) throw methodNotAllowed();
    const raw = await readBody(req);
    let body: any = {};
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (e) {
        throw badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) body = {};
    }
    const grace =
      intParam(q, 'gracePeriodSeconds') ??
      (typeof body.gracePeriodSeconds === 'number' ? body.gracePeriodSeconds : undefined);
    const options: DeleteOptions = {
      gracePeriodSeconds: grace,
      propagationPolicy: q.get('propagationPolicy') ?? body.propagationPolicy ?? undefined,
      preconditions: body.preconditions,
      dryRun: parseDryRun(q, body.dryRun),
    };
    if (!name) {
      if (!rt.verbs.includes('deletecollection')) throw methodNotAllowed();
      const json = state.deleteCollection(
        rt,
        ns,
        { labelSelector: q.get('labelSelector'), fieldSelector: q.get('fieldSelector') },
        options,
      );
      return sendJson(res, 200, json);
    }
    const r = state.delete(rt, ns, name, options);
    const alwaysObject = !rt.builtin || rt.storeKey === CRD_STORE || (rt.group === '' && rt.plural === 'namespaces');
    if (r.kind === 'gone' && !alwaysObject) {
      return sendJson(
        res,
        200,
        successStatus({ name, ...(rt.group ? { group: rt.group } : {}), kind: rt.plural, uid: r.obj.metadata.uid }),
      );
    }
    return sendJson(res, 200, r.obj);
  }
  throw methodNotAllowed();
}

/**
 * TokenRequest (serviceaccounts/token): a bearer token for the ServiceAccount, authorized by the stored RBAC
 * objects (sim/rbac.ts). The simulator's tokens are opaque, not JWTs, and valid while the ServiceAccount exists.
 */
function tokenRequest(ctx: ServerContext, rt: ResourceType, ns: string, name: string, body: unknown): object {
  ctx.state.get(rt, ns, name);
  const spec = (body as { spec?: { audiences?: unknown; expirationSeconds?: unknown } } | null)?.spec ?? {};
  const expirationSeconds = typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : 3600;
  if (expirationSeconds < 600) {
    throw invalid('authentication.k8s.io', 'TokenRequest', '', [
      {
        type: 'FieldValueInvalid',
        field: 'spec.expirationSeconds',
        message: `Invalid value: ${expirationSeconds}: may not specify a duration less than 10 minutes`,
      },
    ]);
  }
  const audiences = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences : [SA_ISSUER];
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace: ns, creationTimestamp: null },
    spec: { audiences, expirationSeconds, boundObjectRef: null },
    status: {
      token: ctx.rbac.tokenFor(ns, name),
      expirationTimestamp: new Date(Date.now() + expirationSeconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
    },
  };
}

const SA_ISSUER = 'https://kubernetes.default.svc.cluster.local';

function podLog(
  ctx: ServerContext,
  res: ServerResponse,
  rt: ResourceType,
  ns: string | undefined,
  name: string,
  q: URLSearchParams,
): void {
  const pod = ctx.state.get(rt, ns, name).obj;
  const containers: string[] = (pod.spec?.containers ?? []).map((c: any) => c.name);
  const container = q.get('container');
  if (!container && containers.length > 1) {
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
  }
  if (container && !containers.includes(container)) {
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  }
  const text = String(pod.metadata?.annotations?.['sim.butlerlabs.dev/log'] ?? '');
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  res.end(text);
}
