// Registered routes by method, so an unmatched /api request can be told apart as 404 (no such path) or 405 (other method).

import type { FastifyInstance } from 'fastify';

interface RouteEntry {
  method: string;
  pattern: RegExp;
}

export class RouteTable {
  private readonly entries: RouteEntry[] = [];

  /** Records every route added after this call (call before routes are registered). */
  watch(app: FastifyInstance): void {
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods)
        this.entries.push({ method: String(method).toUpperCase(), pattern: templateToRegExp(route.url) });
    });
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
