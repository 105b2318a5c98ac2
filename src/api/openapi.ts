// GET /api/openapi.json: an OpenAPI 3.1 document generated from the schemas of every registered route (the same
// schemas validate the requests and serialise the answers).
import { Type } from '@sinclair/typebox';
import { requiresSession } from '../auth/plugin.js';
import type { App } from '../http/app-type.js';
import type { RegisteredRoute } from '../http/route-table.js';
import { ApiErrorSchema } from './schemas.js';

const PRIVATE_KEYWORDS = new Set(['errorMessage', 'paramError', 'fullMessage', 'bodyError']);

/** Plain JSON Schema: TypeBox's symbol keys and our message keywords removed (property names are kept as they are). */
export function cleanSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(cleanSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (PRIVATE_KEYWORDS.has(k)) continue;
    out[k] = NAMED_SCHEMAS.has(k) ? cleanNamed(v) : cleanSchema(v);
  }
  return out;
}

/** Keywords whose value maps names (of properties) to schemas. */
const NAMED_SCHEMAS = new Set(['properties', 'patternProperties']);
const cleanNamed = (v: unknown) =>
  typeof v === 'object' && v !== null
    ? Object.fromEntries(Object.entries(v).map(([name, s]) => [name, cleanSchema(s)]))
    : v;

/** find-my-way template → OpenAPI path: `:name` → `{name}`, the trailing wildcard `*` → `{path}`. */
const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{path}');
const parameterName = (name: string) => (name === '*' ? 'path' : name);

const operationId = (method: string, path: string) =>
  `${method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`;

interface ObjectSchema {
  properties?: Record<string, unknown>;
  required?: string[];
}

interface RouteSchema {
  summary?: string;
  description?: string;
  produces?: string;
  security?: Record<string, string[]>[];
  params?: ObjectSchema;
  querystring?: ObjectSchema;
  body?: ObjectSchema;
  response?: Record<string, { type?: string; description?: string }>;
}

const ERROR_STATUSES: Record<string, string> = {
  '400': 'Invalid input',
  '401': 'Not authenticated',
  '403': 'Forbidden',
  '404': 'Not found',
  '409': 'Conflict',
  '429': 'Too many requests',
  '502': 'Kubernetes API unavailable',
  '503': 'Service unavailable',
  '504': 'Kubernetes API timed out',
};

function parametersOf(schema: RouteSchema) {
  return [
    ...Object.entries(schema.params?.properties ?? {}).map(([name, s]) => ({
      name: parameterName(name),
      in: 'path',
      required: true,
      schema: cleanSchema(s),
    })),
    ...Object.entries(schema.querystring?.properties ?? {}).map(([name, s]) => ({
      name,
      in: 'query',
      required: schema.querystring?.required?.includes(name) ?? false,
      schema: cleanSchema(s),
    })),
  ];
}

/** The answers of the route's response schema (a `null` schema is an answer without a body), then the errors. */
function responsesOf(schema: RouteSchema) {
  const responses: Record<string, unknown> = {};
  for (const [status, s] of Object.entries(schema.response ?? {})) {
    const description = s.description ?? (status.startsWith('2') ? 'Success' : 'Answer');
    const mediaType = status.startsWith('2') && schema.produces ? schema.produces : 'application/json';
    responses[status] =
      s.type === 'null' ? { description } : { description, content: { [mediaType]: { schema: cleanSchema(s) } } };
  }
  for (const [status, description] of Object.entries(ERROR_STATUSES))
    responses[status] ??= {
      description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } },
    };
  return responses;
}

/**
 * Every registered route with its request and response schemas. HEAD routes Fastify adds beside a GET are left out
 * (they answer like the GET without a body); WebSocket routes are documented as their upgrade request.
 */
export function buildOpenApiDocument(routes: readonly RegisteredRoute[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  const withGet = new Set(routes.filter((r) => r.method === 'GET').map((r) => r.url));
  for (const route of routes) {
    if (route.method === 'HEAD' && withGet.has(route.url)) continue;
    const schema = (route.schema ?? {}) as RouteSchema;
    const path = toOpenApiPath(route.url);
    const method = route.method.toLowerCase();
    const parameters = parametersOf(schema);
    const operation: Record<string, unknown> = {
      operationId: operationId(method, path),
      summary: schema.summary ?? `${route.method} ${path}`,
      ...(schema.description || route.websocket
        ? { description: schema.description ?? 'WebSocket: answers the upgrade request with 101.' }
        : {}),
      ...(route.websocket ? { 'x-websocket': true } : {}),
      ...(schema.security ? { security: schema.security } : requiresSession(route.url) ? {} : { security: [] }),
      ...(parameters.length ? { parameters } : {}),
      ...(schema.body
        ? {
            requestBody: {
              required: (schema.body.required ?? []).length > 0,
              content: { 'application/json': { schema: cleanSchema(schema.body) } },
            },
          }
        : {}),
      responses: responsesOf(schema),
    };
    (paths[path] ??= {})[method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'butler-server API', version, description: 'REST API of butler-server for the Butler Console.' },
    servers: [{ url: '/' }],
    security: [{ cookieAuth: [] }, { bearerAuth: [] }],
    paths,
    components: {
      schemas: { ApiError: cleanSchema(ApiErrorSchema) },
      securitySchemes: {
        cookieAuth: { type: 'apiKey', in: 'cookie', name: 'butler_session' },
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
    },
  };
}

export function registerOpenApiRoute(app: App, routes: () => readonly RegisteredRoute[], version: string): void {
  let cached: string | undefined;
  app.get(
    '/api/openapi.json',
    {
      schema: { summary: 'This OpenAPI document', response: { 200: Type.Object({}, { additionalProperties: true }) } },
    },
    async (_request, reply) => {
      cached ??= JSON.stringify(buildOpenApiDocument(routes(), version));
      return reply.type('application/json; charset=utf-8').send(cached);
    },
  );
}
