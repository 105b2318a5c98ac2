// /healthz (process alive, no Kubernetes call) and /readyz (docs/api.md §8).

import fp from 'fastify-plugin';
import { Type } from '@sinclair/typebox';
import type { App } from '../http/app-type.js';
import type { ReadinessCheck } from './readiness.js';

export interface HealthOptions {
  checks: ReadinessCheck[];
  /** True from the start of shutdown: /readyz answers 503 at once. */
  shuttingDown: () => boolean;
}

const HealthAnswer = Type.Object({ status: Type.Literal('ok') });
const ReadinessAnswer = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not ready')]),
  checks: Type.Record(Type.String(), Type.String(), { description: 'Each check: "ok" or why it is not ready' }),
});

async function healthPluginImpl(app: App, opts: HealthOptions): Promise<void> {
  const healthz = { summary: 'The process is alive (no Kubernetes call)', response: { 200: HealthAnswer } };
  app.get('/healthz', { schema: healthz }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' as const };
  });

  const readyz = {
    summary: 'Whether this replica serves requests (caches synced, Kubernetes reachable)',
    response: { 200: ReadinessAnswer, 503: ReadinessAnswer },
  };
  app.get('/readyz', { schema: readyz }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    if (opts.shuttingDown()) {
      return reply.code(503).send({ status: 'not ready', checks: { server: 'shutting down' } });
    }
    const results = await Promise.all(
      opts.checks.map(async (c) => {
        try {
          return [c.name, await c.check()] as const;
        } catch (err) {
          return [c.name, err instanceof Error ? err.message : 'check failed'] as const;
        }
      }),
    );
    const ready = results.every(([, reason]) => reason === null || typeof reason === 'object');
    const checks = Object.fromEntries(
      results.map(([name, reason]) => [
        name,
        reason === null ? 'ok' : typeof reason === 'object' ? reason.status : reason,
      ]),
    );
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
}

// Encapsulated; public routes, no dependencies.
export const healthPlugin = fp(healthPluginImpl, {
  name: 'butler-health',
  fastify: '5.x',
  encapsulate: true,
});
