// GET /metrics (docs/api.md §8): on the main listener for an admin session or `Authorization: Bearer
// <BUTLER_METRICS_TOKEN>`; with BUTLER_METRICS_ADDR also on a separate listener without authentication.
// Also installs the HTTP hooks and the gauges read at scrape time (WebSockets, terminals, caches, revocations).
import fp from 'fastify-plugin';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Type } from '@sinclair/typebox';
import type { App } from '../http/app-type.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RevocationStore } from '../auth/revocations.js';
import { parseAddr } from '../config/parse.js';
import type { Config } from '../config/types.js';
import { unauthorized } from '../http/errors.js';
import { installHttpMetrics, METRICS_CONTENT_TYPE, type Metrics } from './metrics.js';

export interface MetricsPluginOptions {
  config: Config;
  services: {
    metrics: Metrics;
    revocations: RevocationStore;
    clusterCache: { list(): unknown[] };
    providerCache: { list(): unknown[] };
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The metrics registry, and the separate listener's address when BUTLER_METRICS_ADDR is set (after listen). */
    metrics: { metrics: Metrics; listenerAddress(): AddressInfo | undefined };
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function bearer(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  return typeof h === 'string' ? /^Bearer[ ]+(\S+)\s*$/i.exec(h)?.[1] : undefined;
}

/** Constant time in the token's content: both sides are hashed to equal length first. */
function tokenMatches(given: string | undefined, expected: string | undefined): boolean {
  if (given === undefined || expected === undefined) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

function addScrapeSources(app: FastifyInstance, opts: MetricsPluginOptions): void {
  const { metrics } = opts.services;
  // The gauges of the services given here; each capability adds its own (live updates, terminals).
  const removeSource = metrics.onCollect(() => {
    metrics.cacheObjects.set({ cache: 'tenantclusters' }, opts.services.clusterCache.list().length);
    metrics.cacheObjects.set({ cache: 'providerconfigs' }, opts.services.providerCache.list().length);
    metrics.revokedTokens.set(opts.services.revocations.size);
  });
  app.addHook('onClose', async () => removeSource());
}

/** An admin session (cookie or Bearer) or the metrics token as Bearer. */
const METRICS_SECURITY: Record<string, string[]>[] = [{ cookieAuth: [] }, { bearerAuth: [] }];

async function metricsPluginImpl(app: App, opts: MetricsPluginOptions): Promise<void> {
  const { metrics } = opts.services;
  installHttpMetrics(app, metrics);
  addScrapeSources(app, opts);

  const schema = {
    summary: 'Prometheus metrics (an admin session or the metrics token)',
    produces: 'text/plain',
    security: METRICS_SECURITY,
    response: { 200: Type.String({ description: 'Prometheus text format' }) },
  };
  app.get('/metrics', { schema }, async (request, reply) => {
    const adminSession = request.principal?.platformRole === 'admin';
    if (!adminSession && !tokenMatches(bearer(request), opts.config.metrics.token)) {
      throw unauthorized('metrics require an admin session or the metrics token');
    }
    reply.header('content-type', METRICS_CONTENT_TYPE).header('cache-control', 'no-store');
    return metrics.registry.metrics();
  });

  let listener: Server | undefined;
  app.decorate('metrics', {
    metrics,
    listenerAddress: () => (listener?.address() as AddressInfo | null) ?? undefined,
  });
  const addr = opts.config.metrics.addr;
  if (addr === undefined) return;
  // Started when the app is ready (listen() waits for it; onListen would not) and closed with the app.
  app.addHook('onReady', async () => {
    const { host, port } = parseAddr('BUTLER_METRICS_ADDR', addr);
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if ((req.method !== 'GET' && req.method !== 'HEAD') || path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ error: 'not found' }));
        return;
      }
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        () => {
          res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify({ error: 'metrics collection failed' }));
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    listener = server;
    app.log.info({ metricsAddress: server.address() }, 'metrics listener started');
  });
  app.addHook('onClose', async () => {
    const server = listener;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
}

// Not encapsulated, so the onResponse hook sees every route of the app. Capabilities add their own gauges with
// services.metrics.onCollect.
export const metricsPlugin = fp(metricsPluginImpl, {
  name: 'butler-metrics',
  fastify: '5.x',
  dependencies: ['butler-auth'],
  decorators: { request: ['session'] },
});
