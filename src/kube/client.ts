// A small generic Kubernetes REST client over node's http/https, using a KubeConfig for server, TLS and credentials.
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import { connectOptions, type ConnectOptions } from './credentials.js';
import { KubeApiError, type KubeStatus } from './errors.js';
import { impersonationHeaders, isImpersonationHeader, type Impersonation } from './impersonation.js';

export type KubeQuery = Record<string, string | number | boolean | undefined>;

export interface KubeRequestOptions {
  method: string;
  /** Absolute API path, e.g. `/api/v1/namespaces/x/configmaps`; appended to the server URL's own path. */
  path: string;
  query?: KubeQuery;
  /** JSON-serialised unless it is a string, Buffer or stream. */
  body?: unknown;
  contentType?: string;
  /** Defaults to the client's timeout. For streams it covers connect and response headers only. */
  timeoutMs?: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export interface KubeWatchEvent {
  type: string;
  // Watch objects are arbitrary Kubernetes objects; callers narrow them.
  object: any;
}

interface ListPage<T> {
  items?: T[] | null;
  metadata?: { resourceVersion?: string; continue?: string };
}

export interface KubeListOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  pageSize?: number;
}

export interface KubeList<T> {
  items: T[];
  resourceVersion: string;
}

export interface KubeClient {
  /** 'management' or 'tenant <ns>/<name>'. */
  readonly name: string;
  /** The API server URL. */
  readonly server: string;
  request<T>(o: KubeRequestOptions): Promise<T>;
  /**
   * LIST in pages (limit/continue, 500 items unless `pageSize`), returning every item and the list's resourceVersion.
   * A continue token that expires between pages (410) starts the list again, twice at most.
   */
  list<T>(path: string, query?: KubeQuery, opts?: KubeListOptions): Promise<KubeList<T>>;
  /**
   * WATCH: streams newline-delimited events to `onEvent` and resolves when the stream ends (or `signal` aborts).
   * Only connecting and the response headers are timed; the stream itself is not.
   */
  watch(
    path: string,
    query: KubeQuery,
    onEvent: (e: KubeWatchEvent) => void,
    signal?: AbortSignal,
    opts?: { timeoutMs?: number },
  ): Promise<void>;
  /** The response as a stream, whatever its status (for proxies). Network failures still throw KubeApiError. */
  raw(o: KubeRequestOptions): Promise<http.IncomingMessage>;
  /**
   * A view of this client whose every request impersonates `who` (Impersonate-User / Impersonate-Group), sharing its
   * connections and credentials. A view of a view impersonates the newer user. Cheap: make one per request.
   */
  as(who: Impersonation): KubeClient;
  /** Whom this client impersonates, if anyone. */
  readonly impersonating?: Impersonation;
  /** Closes idle keep-alive connections (of every view). */
  close(): void;
}

const PAGE_SIZE = 500;
const MAX_PAGES = 10_000;
const MAX_ERROR_BODY = 64 * 1024;

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

export function buildQuery(query: KubeQuery | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === '') continue;
    params.append(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const n = Number(v);
  if (Number.isFinite(n) && n >= 0) return n;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

class BodyTooLarge extends Error {}

/** Keeps the first `keep` bytes (the rest is read and dropped); fails with BodyTooLarge past `failAbove`. */
function readBody(res: http.IncomingMessage, keep = Infinity, failAbove = Infinity): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let seen = 0;
    res.on('data', (c: Buffer) => {
      seen += c.length;
      if (seen > failAbove) {
        reject(new BodyTooLarge());
        res.destroy();
        return;
      }
      if (size < keep) {
        chunks.push(c);
        size += c.length;
      }
    });
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
    res.on('close', () => {
      if (!res.complete) reject(res.errored ?? Object.assign(new Error('response aborted'), { code: 'ECONNRESET' }));
    });
  });
}

function isStream(body: unknown): body is Readable {
  return typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function';
}

export interface KubeClientOptions {
  timeoutMs: number;
  /** 'management' (default) or 'tenant <ns>/<name>'. */
  name?: string;
  /**
   * Largest answer `request` reads, and the largest sum of a `list`'s pages (default unlimited). Untrusted API
   * servers (tenant clusters) get a bound, so that an endless answer fails instead of filling the memory.
   */
  maxResponseBytes?: number;
}

export function createKubeClient(kc: KubeConfig, opts: KubeClientOptions): KubeClient {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const name = opts.name ?? 'management';
  const base = new URL(cluster.server);
  const isHttps = base.protocol === 'https:';
  if (!isHttps && base.protocol !== 'http:') throw new Error(`unsupported API server scheme ${base.protocol}`);
  const basePath = base.pathname.replace(/\/+$/, '');

  let agent: http.Agent | undefined;
  const staleSocketErrors = new WeakSet<KubeApiError>();

  async function getCredentials(): Promise<ConnectOptions> {
    const credentials = await connectOptions(kc, name);
    // TLS material is read into the keep-alive agent once; token refreshes only change the headers.
    agent ??= isHttps
      ? new https.Agent({ keepAlive: true, maxSockets: 64, ...credentials.tls })
      : new http.Agent({ keepAlive: true, maxSockets: 64 });
    return credentials;
  }

  function networkError(err: unknown, o: KubeRequestOptions): KubeApiError {
    if (err instanceof KubeApiError) return err;
    const code = (err as NodeJS.ErrnoException)?.code ?? '';
    const meta = { clientName: name, method: o.method, path: o.path, cause: err };
    if (code === 'ETIMEDOUT') return new KubeApiError('timeout', `${name}: ${o.method} ${o.path} timed out`, meta);
    const known =
      UNAVAILABLE_CODES.has(code) || code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('ERR_SSL');
    const what = known ? code : ((err as Error)?.message ?? 'error');
    return new KubeApiError('unavailable', `${name}: ${o.method} ${o.path} failed: ${what}`, meta);
  }

  /**
   * Sends the request; resolves with the response once its headers arrived. `identity` are the impersonation
   * headers of the view sending it; a caller's own Impersonate-* headers are never sent.
   */
  async function send(
    o: KubeRequestOptions,
    onTimer: (stop: () => void) => void,
    identity: Record<string, string | string[]> | undefined,
  ): Promise<http.IncomingMessage> {
    if (o.signal?.aborted) throw new KubeApiError('aborted', `${name}: request aborted`, { clientName: name });
    const creds = await getCredentials();
    const timeoutMs = o.timeoutMs ?? opts.timeoutMs;
    let payload: Buffer | string | Readable | undefined;
    const headers: Record<string, string | string[]> = { accept: 'application/json', ...creds.headers };
    for (const [k, v] of Object.entries(o.headers ?? {})) if (!isImpersonationHeader(k)) headers[k] = v;
    Object.assign(headers, identity);
    if (o.body !== undefined && o.body !== null) {
      if (typeof o.body === 'string' || Buffer.isBuffer(o.body) || isStream(o.body)) payload = o.body;
      else payload = JSON.stringify(o.body);
      headers['content-type'] = o.contentType ?? 'application/json';
      if (!isStream(payload)) headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const mod = isHttps ? https : http;
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      let settled = false;
      let response: http.IncomingMessage | undefined;
      const req = mod.request({
        protocol: base.protocol,
        hostname: base.hostname.replace(/^\[|\]$/g, ''),
        port: base.port || (isHttps ? 443 : 80),
        method: o.method,
        path: `${basePath}${o.path}${buildQuery(o.query)}`,
        headers,
        agent,
      });
      const fail = (err: KubeApiError) => {
        req.destroy(err);
        response?.destroy(err);
        if (!settled) {
          settled = true;
          reject(err);
        }
      };
      const timer = setTimeout(
        () =>
          fail(
            new KubeApiError('timeout', `${name}: ${o.method} ${o.path} timed out after ${timeoutMs} ms`, {
              clientName: name,
              method: o.method,
              path: o.path,
            }),
          ),
        timeoutMs,
      );
      timer.unref();
      const onAbort = () =>
        fail(
          new KubeApiError('aborted', `${name}: request aborted`, { clientName: name, method: o.method, path: o.path }),
        );
      o.signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
      };
      req.on('error', (err) => {
        cleanup();
        if (!settled) {
          settled = true;
          const e = networkError(err, o);
          // A keep-alive socket the server had already closed: the request never reached it.
          if (req.reusedSocket && e.kind === 'unavailable') staleSocketErrors.add(e);
          reject(e);
        }
      });
      req.on('response', (res) => {
        if (settled) {
          res.destroy();
          return;
        }
        settled = true;
        response = res;
        onTimer(cleanup);
        res.on('close', cleanup);
        resolve(res);
      });
      if (payload === undefined) req.end();
      else if (isStream(payload)) payload.pipe(req);
      else req.end(payload);
    });
  }

  async function statusError(
    res: http.IncomingMessage,
    o: KubeRequestOptions,
    identity: Identity,
  ): Promise<KubeApiError> {
    const body = await readBody(res, MAX_ERROR_BODY).catch(() => Buffer.alloc(0));
    let status: KubeStatus | undefined;
    try {
      const parsed = JSON.parse(body.toString('utf8')) as KubeStatus & { kind?: string };
      if (parsed && typeof parsed === 'object') status = parsed;
    } catch {
      status = { message: body.toString('utf8').slice(0, 512) };
    }
    const code = res.statusCode ?? 0;
    return new KubeApiError(
      'status',
      `${name}: ${o.method} ${o.path} answered ${code}${status?.reason ? ` ${status.reason}` : ''}${status?.message ? `: ${status.message}` : ''}`,
      {
        statusCode: code,
        status,
        retryAfterSeconds: parseRetryAfter(res.headers['retry-after']) ?? status?.details?.retryAfterSeconds,
        clientName: name,
        method: o.method,
        path: o.path,
        ...(identity ? { impersonating: String(identity['impersonate-user']) } : {}),
      },
    );
  }

  const maxResponseBytes = opts.maxResponseBytes ?? Infinity;

  function tooLarge(o: KubeRequestOptions): KubeApiError {
    return new KubeApiError(
      'unavailable',
      `${name}: ${o.method} ${o.path} answered more than ${maxResponseBytes} bytes`,
      {
        clientName: name,
        method: o.method,
        path: o.path,
      },
    );
  }

  /** One request; resolves with the parsed answer and its size in bytes. */
  async function requestOnce<T>(
    o: KubeRequestOptions,
    maxBytes: number,
    identity: Identity,
  ): Promise<{ value: T; bytes: number }> {
    let stopTimer: () => void = () => {};
    const res = await send(
      o,
      (stop) => {
        // Keep the timer running until the body has been read.
        stopTimer = stop;
      },
      identity,
    );
    try {
      const ok = (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
      if (!ok) throw await statusError(res, o, identity);
      const body = await readBody(res, Infinity, maxBytes).catch((err: unknown) => {
        throw err instanceof BodyTooLarge ? tooLarge(o) : networkError(err, o);
      });
      if (body.length === 0) return { value: undefined as T, bytes: 0 };
      try {
        return { value: JSON.parse(body.toString('utf8')) as T, bytes: body.length };
      } catch (err) {
        throw new KubeApiError('unavailable', `${name}: ${o.method} ${o.path} returned invalid JSON`, {
          clientName: name,
          cause: err,
        });
      }
    } finally {
      stopTimer();
    }
  }

  async function requestSized<T>(
    o: KubeRequestOptions,
    maxBytes: number,
    identity: Identity,
  ): Promise<{ value: T; bytes: number }> {
    try {
      return await requestOnce<T>(o, maxBytes, identity);
    } catch (err) {
      // An idle keep-alive socket closed by the server: the request was not processed, so one retry is safe.
      const code = String(((err as KubeApiError).opts?.cause as NodeJS.ErrnoException | undefined)?.code);
      const retriable =
        err instanceof KubeApiError &&
        staleSocketErrors.has(err) &&
        ['ECONNRESET', 'EPIPE'].includes(code) &&
        !isStream(o.body);
      if (!retriable) throw err;
      return requestOnce<T>(o, maxBytes, identity);
    }
  }

  async function request<T>(identity: Identity, o: KubeRequestOptions): Promise<T> {
    return (await requestSized<T>(o, maxResponseBytes, identity)).value;
  }

  async function list<T>(
    identity: Identity,
    path: string,
    query: KubeQuery = {},
    lo: KubeListOptions = {},
  ): Promise<KubeList<T>> {
    for (let attempt = 0; ; attempt++) {
      const items: T[] = [];
      let cont: string | undefined;
      let resourceVersion = '';
      let bytes = 0;
      try {
        for (let page = 0; page < MAX_PAGES; page++) {
          const o: KubeRequestOptions = {
            method: 'GET',
            path,
            query: { ...query, limit: lo.pageSize ?? PAGE_SIZE, continue: cont },
            signal: lo.signal,
            timeoutMs: lo.timeoutMs,
          };
          const answer = await requestSized<ListPage<T>>(o, maxResponseBytes - bytes, identity);
          bytes += answer.bytes;
          const res = answer.value;
          if (res?.items) items.push(...res.items);
          if (page === 0) resourceVersion = res?.metadata?.resourceVersion ?? '';
          cont = res?.metadata?.continue || undefined;
          if (!cont) return { items, resourceVersion };
        }
        throw new KubeApiError('unavailable', `${name}: LIST ${path} did not end after ${MAX_PAGES} pages`, {
          clientName: name,
        });
      } catch (err) {
        // An expired continue token (410): start the list again, a few times at most.
        if (cont && attempt < 2 && err instanceof KubeApiError && err.statusCode === 410) continue;
        throw err;
      }
    }
  }

  async function watch(
    identity: Identity,
    path: string,
    query: KubeQuery,
    onEvent: (e: KubeWatchEvent) => void,
    signal?: AbortSignal,
    wo: { timeoutMs?: number } = {},
  ): Promise<void> {
    const o: KubeRequestOptions = {
      method: 'GET',
      path,
      query: { ...query, watch: 'true' },
      signal,
      timeoutMs: wo.timeoutMs,
    };
    let res: http.IncomingMessage;
    try {
      res = await send(o, (stop) => stop(), identity);
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
    if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) throw await statusError(res, o, identity);
    await new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (err?: unknown) => {
        if (done) return;
        done = true;
        signal?.removeEventListener('abort', onAbort);
        if (err && !signal?.aborted) reject(err);
        else resolve();
      };
      const onAbort = () => {
        res.destroy();
        finish();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const handleLine = (line: string) => {
        if (!line.trim()) return;
        let event: KubeWatchEvent;
        try {
          event = JSON.parse(line) as KubeWatchEvent;
        } catch (err) {
          throw new KubeApiError('unavailable', `${name}: WATCH ${path} sent invalid JSON`, {
            clientName: name,
            cause: err,
          });
        }
        onEvent(event);
      };
      // Lines are cut in bytes (a newline byte never occurs inside a UTF-8 character) and decoded once each: no
      // string is re-copied per chunk, which matters for events of a megabyte and more.
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      res.on('data', (chunk: Buffer) => {
        if (done) return;
        try {
          let start = 0;
          let nl: number;
          while ((nl = chunk.indexOf(0x0a, start)) >= 0) {
            const piece = chunk.subarray(start, nl);
            const line = pending.length ? Buffer.concat([...pending, piece]) : piece;
            pending = [];
            pendingBytes = 0;
            start = nl + 1;
            handleLine(line.toString('utf8'));
            if (done) return;
          }
          if (start < chunk.length) {
            pending.push(chunk.subarray(start));
            pendingBytes += chunk.length - start;
          }
          // One event may not exceed the answer bound either (a stream that never sends a newline).
          if (pendingBytes > maxResponseBytes) throw tooLarge(o);
        } catch (err) {
          res.destroy();
          finish(err);
        }
      });
      res.on('end', () => {
        try {
          handleLine(Buffer.concat(pending).toString('utf8'));
          finish();
        } catch (err) {
          finish(err);
        }
      });
      res.on('error', (err) => finish(networkError(err, o)));
      res.on('close', () => {
        if (!res.complete)
          finish(
            signal?.aborted
              ? undefined
              : networkError(Object.assign(new Error('watch stream closed'), { code: 'ECONNRESET' }), o),
          );
        else finish();
      });
    });
  }

  async function raw(identity: Identity, o: KubeRequestOptions): Promise<http.IncomingMessage> {
    return send(o, (stop) => stop(), identity);
  }

  function view(who: Impersonation | undefined): KubeClient {
    const identity = who ? impersonationHeaders(who) : undefined;
    return {
      name,
      server: cluster!.server,
      ...(who ? { impersonating: { user: who.user, groups: [...who.groups] } } : {}),
      request: <T>(o: KubeRequestOptions) => request<T>(identity, o),
      list: <T>(path: string, query?: KubeQuery, lo?: KubeListOptions) => list<T>(identity, path, query, lo),
      watch: (path, query, onEvent, signal, wo) => watch(identity, path, query, onEvent, signal, wo),
      raw: (o) => raw(identity, o),
      as: (next) => view(next),
      close: () => agent?.destroy(),
    };
  }

  return view(undefined);
}

/** The impersonation headers a view adds to each request (undefined: the client's own identity). */
type Identity = Record<string, string | string[]> | undefined;
