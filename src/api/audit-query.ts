// GET /api/admin/audit: a page of this server's audit entries, newest first, with filters (docs/api.md §3.9).
// Each replica answers from its own store (src/observability/audit-store.ts).
import { Type } from '@sinclair/typebox';
import type { App } from '../http/app-type.js';
import { badRequest } from '../http/errors.js';
import type { ApiContext } from './context.js';

export const DEFAULT_AUDIT_PAGE = 50;
export const MAX_AUDIT_PAGE = 500;

const Time = () =>
  Type.String({
    maxLength: 64,
    description: 'RFC 3339 time, e.g. 2026-05-01T12:00:00Z',
    examples: ['2026-05-01T12:00:00Z'],
  });

const AuditQueryString = Type.Object(
  {
    user: Type.Optional(Type.String({ maxLength: 256 })),
    action: Type.Optional(Type.String({ maxLength: 200 })),
    resourceType: Type.Optional(Type.String({ maxLength: 64 })),
    resource: Type.Optional(Type.String({ maxLength: 512 })),
    success: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
    from: Type.Optional(Time()),
    to: Type.Optional(Time()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_AUDIT_PAGE })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);

const AuditEntrySchema = Type.Object(
  {
    timestamp: Type.String(),
    user: Type.String(),
    action: Type.String(),
    success: Type.Boolean(),
    resource: Type.Optional(Type.String()),
    resourceType: Type.Optional(Type.String()),
    resourceNamespace: Type.Optional(Type.String()),
    resourceName: Type.Optional(Type.String()),
    httpMethod: Type.Optional(Type.String()),
    path: Type.Optional(Type.String()),
    statusCode: Type.Optional(Type.Integer()),
    errorMessage: Type.Optional(Type.String()),
    sourceIP: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
  },
  { title: 'AuditEntry' },
);

function time(field: 'from' | 'to', value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}/.test(value))
    throw badRequest(`${field}: must be an RFC 3339 time such as 2026-05-01T12:00:00Z`, { field });
  return new Date(t);
}

export function registerAuditQueryRoutes(app: App, ctx: ApiContext): void {
  app.get(
    '/api/admin/audit',
    {
      schema: {
        summary: "This replica's audit entries, newest first",
        querystring: AuditQueryString,
        response: {
          200: Type.Object({
            entries: Type.Array(AuditEntrySchema),
            total: Type.Integer(),
            offset: Type.Integer(),
            limit: Type.Integer(),
          }),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const from = time('from', q.from);
      const to = time('to', q.to);
      if (from && to && from > to) throw badRequest('from: must not be after to', { field: 'from' });
      return ctx.audit.query({
        ...(q.user ? { user: q.user } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.resourceType ? { resourceType: q.resourceType } : {}),
        ...(q.resource ? { resource: q.resource } : {}),
        ...(q.success !== undefined ? { success: q.success === 'true' } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
        limit: q.limit ?? DEFAULT_AUDIT_PAGE,
        offset: q.offset ?? 0,
      });
    },
  );
}
