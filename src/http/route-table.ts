// The one route registry: every route of the app as it is added (method, URL template, WebSocket or not, schema).
// It feeds the 404/405 answers of unmatched /api and /ws requests, the OpenAPI document (src/api/openapi.ts) and
// the route-coverage test (app.registeredRoutes).
import type { FastifyInstance, FastifySchema } from 'fastify';

export interface RegisteredRoute {
  method: string;
  url: string;
  websocket: boolean;
  schema?: FastifySchema;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route of the app, in registration order (one entry per method). */
    registeredRoutes: readonly RegisteredRoute[];
  }
}

export class RouteTable {
  private readonly entries: (RegisteredRoute & { pattern: RegExp })[] = [];

  /** Records every route added after this call (call before routes are registered) as `app.registeredRoutes`. */
  watch(app: FastifyInstance): void {
    app.decorate('registeredRoutes', this.entries);
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods)
        this.entries.push({
          method: String(method).toUpperCase(),
          url: route.url,
          websocket: Boolean((route as { websocket?: boolean }).websocket),
          ...(route.schema ? { schema: route.schema } : {}),
          pattern: templateToRegExp(route.url),
        });
    });
  }

  get routes(): readonly RegisteredRoute[] {
    return this.entries;
  }

  /** Methods with a route matching this path, sorted; empty when no route matches at all. */
  allowedMethods(path: string): string[] {
    const methods = new Set<string>();
    for (const e of this.entries) if (e.pattern.test(path)) methods.add(e.method);
    return [...methods].sort();
  }
}

/** find-my-way templates: `:param` matches one segment, a trailing `*` the rest. */
function templateToRegExp(template: string): RegExp {
  const escaped = template
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      return segment
        .split(/(:[A-Za-z0-9_]+(?:\([^)]*\))?)/)
        .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('');
    })
    .join('/');
  return new RegExp(`^${escaped}/?$`);
}
