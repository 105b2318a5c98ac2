// The app's Fastify instance type: the TypeBox type provider (set in src/app.ts) gives every handler the types of its
// route schemas — request.body, request.params and request.query are typed from `schema`, and the handler's answer is
// checked against `schema.response` — so no handler casts its input.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

declare module 'fastify' {
  interface FastifySchema {
    /** One line for the OpenAPI document. */
    summary?: string;
    /** More words for the OpenAPI document. */
    description?: string;
    /** Media type of the 2xx answers when it is not JSON (e.g. `text/plain` for /metrics). */
    produces?: string;
    /** OpenAPI security requirements when they differ from the session rule of the path (see requiresSession). */
    security?: Record<string, string[]>[];
  }
}
