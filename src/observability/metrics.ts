// Prometheus metrics (docs/api.md §8): one registry per app instance (tests build many apps in one process), named
// series other modules can update, a KubeClient wrapper for Kubernetes API calls, and the Fastify hooks for HTTP.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { KubeClient, KubeRequestOptions } from '../kube/client.js';

export interface Metrics {
  readonly registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  wsConnections: Gauge<'kind' | 'authenticated'>;
  terminalSessions: Gauge<'kind' | 'state'>;
  kubeRequests: Counter<'verb' | 'resource' | 'code'>;
  kubeDuration: Histogram<'verb' | 'resource'>;
  kubeWatchStarts: Counter<'resource'>;
  loginAttempts: Counter<'result'>;
  providerChecks: Counter<'provider' | 'result'>;
  revokedTokens: Gauge;
  cacheObjects: Gauge<'cache'>;
  bufferedBytes: Gauge<'buffer'>;
  liveFanOut: Histogram<'stream'>;
  /** Adds a source read at every scrape (gauges of connection counts, cache sizes); returns its removal. */
  onCollect(source: () => void): () => void;
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function createMetrics(opts: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  const sources = new Set<() => void>();
  const collect = () => {
    for (const s of sources) {
      try {
        s();
      } catch {
        // a failing source must not break the scrape
      }
    }
  };
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const m: Metrics = {
    registry,
    httpRequests: new Counter({
      name: 'butler_http_requests_total',
      help: 'HTTP requests answered, by method, route template and status.',
      labelNames: ['method', 'route', 'status'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'butler_http_request_duration_seconds',
      help: 'HTTP request latency, by method, route template and status.',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    wsConnections: new Gauge({
      name: 'butler_ws_connections',
      help: 'Open WebSocket connections, by kind (clusters, terminal) and whether they are authenticated.',
      labelNames: ['kind', 'authenticated'] as const,
      registers,
      collect,
    }),
    terminalSessions: new Gauge({
      name: 'butler_terminal_sessions',
      help: 'Terminal sessions, by kind and state (attached, detached).',
      labelNames: ['kind', 'state'] as const,
      registers,
      collect,
    }),
    kubeRequests: new Counter({
      name: 'butler_kube_requests_total',
      help: 'Kubernetes API requests of the management connection, by verb, resource and HTTP code (0: no answer).',
      labelNames: ['verb', 'resource', 'code'] as const,
      registers,
    }),
    kubeDuration: new Histogram({
      name: 'butler_kube_request_duration_seconds',
      help: 'Kubernetes API request latency (until the response headers for watches), by verb and resource.',
      labelNames: ['verb', 'resource'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers,
    }),
    kubeWatchStarts: new Counter({
      name: 'butler_kube_watch_starts_total',
      help: 'Watch streams opened, by resource; more than one per resource means restarts (relists show as verb=list).',
      labelNames: ['resource'] as const,
      registers,
    }),
    loginAttempts: new Counter({
      name: 'butler_login_attempts_total',
      help: 'Login attempts, by result (success, invalid_credentials, throttled, bad_request).',
      labelNames: ['result'] as const,
      registers,
    }),
    providerChecks: new Counter({
      name: 'butler_provider_checks_total',
      help: 'Provider connectivity checks, by provider type and result (valid or the failure reason).',
      labelNames: ['provider', 'result'] as const,
      registers,
    }),
    revokedTokens: new Gauge({
      name: 'butler_revoked_tokens',
      help: 'Revoked token ids this replica currently knows (its own logouts and other replicas); expired ones drop out when cleaned up.',
      registers,
      collect,
    }),
    cacheObjects: new Gauge({
      name: 'butler_cache_objects',
      help: 'Objects held by each watch cache.',
      labelNames: ['cache'] as const,
      registers,
      collect,
    }),
    bufferedBytes: new Gauge({
      name: 'butler_buffered_bytes',
      help: 'Bytes held by each bounded buffer: replay (live-update history), ws_send (live-update sockets: pending frames and unsent bytes), terminal_scrollback, terminal_send, proxy (proxied streams in flight).',
      labelNames: ['buffer'] as const,
      registers,
      collect,
    }),
    liveFanOut: new Histogram({
      name: 'butler_live_fanout_seconds',
      help: 'Time to hand one change of a live stream (clusters) to every socket that receives it (serialising, filtering, writing).',
      labelNames: ['stream'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    onCollect(source) {
      sources.add(source);
      return () => sources.delete(source);
    },
  };
  return m;
}

/** Verb and resource of a Kubernetes API request, from its method and path (never names or namespaces). */
export function kubeRequestLabels(method: string, path: string, watch = false): { verb: string; resource: string } {
  const segs = path.split('?')[0]!.split('/').filter(Boolean);
  let rest: string[];
  if (segs[0] === 'api') rest = segs.slice(2);
  else if (segs[0] === 'apis') rest = segs.slice(3);
  else return { verb: method.toLowerCase(), resource: segs.length ? `/${segs.join('/')}` : '/' };
  if (rest[0] === 'watch') {
    rest = rest.slice(1);
    watch = true;
  }
  // namespaces/<ns>/<resource>/<name>/<sub>: a bare "namespaces/<name>" is the namespace object itself.
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource = '', name, sub] = rest;
  const full = sub ? `${resource}/${sub}` : resource;
  const m = method.toUpperCase();
  const verb = watch
    ? 'watch'
    : m === 'GET'
      ? name
        ? 'get'
        : 'list'
      : m === 'POST'
        ? 'create'
        : m === 'PUT'
          ? 'update'
          : m === 'PATCH'
            ? 'patch'
            : m === 'DELETE'
              ? name
                ? 'delete'
                : 'deletecollection'
              : m.toLowerCase();
  return { verb, resource: full };
}

function statusCode(err: unknown): string {
  const code = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof code === 'number' ? String(code) : '0';
}

/**
 * Distinct `resource` label values kept; later new ones count as "other". The proxy lets a client choose the paths,
 * and every new label value is a new series held for the life of the process.
 */
export const MAX_RESOURCE_LABELS = 128;

function boundedResources(): (labels: { verb: string; resource: string }) => { verb: string; resource: string } {
  const seen = new Set<string>();
  return (labels) => {
    if (seen.has(labels.resource)) return labels;
    if (seen.size >= MAX_RESOURCE_LABELS) return { ...labels, resource: 'other' };
    seen.add(labels.resource);
    return labels;
  };
}

/** The same client, with every call counted and timed in `metrics`. */
export function instrumentKubeClient(kube: KubeClient, metrics: Metrics): KubeClient {
  return instrument(kube, metrics, boundedResources());
}

/** `bound` is shared by the client and every impersonating view of it, so views made per request cannot escape it. */
function instrument(kube: KubeClient, metrics: Metrics, bound: ReturnType<typeof boundedResources>): KubeClient {
  const labelsOf = (method: string, path: string, watch = false) => bound(kubeRequestLabels(method, path, watch));
  const observe = async <T>(
    labels: { verb: string; resource: string },
    call: () => Promise<T>,
    code: (r: T) => string,
  ): Promise<T> => {
    const end = metrics.kubeDuration.startTimer(labels);
    try {
      const r = await call();
      metrics.kubeRequests.inc({ ...labels, code: code(r) });
      return r;
    } catch (err) {
      metrics.kubeRequests.inc({ ...labels, code: statusCode(err) });
      throw err;
    } finally {
      end();
    }
  };
  return {
    get name() {
      return kube.name;
    },
    get server() {
      return kube.server;
    },
    request: <T>(o: KubeRequestOptions) =>
      observe(
        labelsOf(o.method, o.path, o.query?.watch === true || o.query?.watch === 'true'),
        () => kube.request<T>(o),
        () => (o.method.toUpperCase() === 'POST' ? '201' : '200'),
      ),
    list: (path, query, opts) =>
      observe(
        labelsOf('GET', path),
        () => kube.list(path, query, opts),
        () => '200',
      ),
    // A watch is counted when it ends (its duration is the stream's lifetime, so it has no latency sample).
    watch: async (path, query, onEvent, signal, opts) => {
      const labels = labelsOf('GET', path, true);
      metrics.kubeWatchStarts.inc({ resource: labels.resource });
      try {
        await kube.watch(path, query, onEvent, signal, opts);
        metrics.kubeRequests.inc({ ...labels, code: '200' });
      } catch (err) {
        metrics.kubeRequests.inc({ ...labels, code: statusCode(err) });
        throw err;
      }
    },
    raw: (o) =>
      observe(
        labelsOf(o.method, o.path),
        () => kube.raw(o),
        (res) => String(res.statusCode ?? 0),
      ),
    as: (who) => instrument(kube.as(who), metrics, bound),
    ...(kube.impersonating ? { impersonating: kube.impersonating } : {}),
    close: () => kube.close(),
  };
}

const LOGIN_RESULTS: Record<number, string> = {
  200: 'success',
  400: 'bad_request',
  401: 'invalid_credentials',
  429: 'throttled',
};

/** The route template of a request, or a fixed label for unmatched paths (never the raw path). */
function routeLabel(request: FastifyRequest): string {
  const url = request.routeOptions.url;
  if (url) return url;
  const path = request.url.split('?')[0] ?? '';
  if (path === '/api' || path.startsWith('/api/')) return '/api/*unmatched';
  if (path === '/ws' || path.startsWith('/ws/')) return '/ws/*unmatched';
  return 'static';
}

/** onResponse hook: request counts and latency by route template; login attempts by result. */
export function installHttpMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const labels = { method: request.method, route: routeLabel(request), status: String(reply.statusCode) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    if (labels.route === '/api/auth/login' && request.method === 'POST') {
      metrics.loginAttempts.inc({ result: LOGIN_RESULTS[reply.statusCode] ?? 'error' });
    }
  });
}
