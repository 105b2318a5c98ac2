// GET /api/openapi.json: an OpenAPI 3.1 document generated from the route schemas that validate the requests.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { RegisteredRoute } from '../http/route-table.js';
import { ApiErrorSchema } from './schemas.js';

const PRIVATE_KEYWORDS = new Set(['errorMessage', 'paramError', 'fullMessage']);

/** Plain JSON Schema: TypeBox's symbol keys and our message keywords removed. */
export function cleanSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(cleanSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) if (!PRIVATE_KEYWORDS.has(k)) out[k] = cleanSchema(v);
  return out;
}

const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

interface RouteSchema {
  summary?: string;
  params?: { properties?: Record<string, unknown>; required?: string[] };
  querystring?: { properties?: Record<string, unknown>; required?: string[] };
  body?: unknown;
  response?: Record<string, unknown>;
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

const json = (schema: unknown) => ({ 'application/json': { schema } });
const LoginResponse = {
  type: 'object',
  required: ['token', 'user', 'expiresAt'],
  properties: {
    token: { type: 'string' },
    user: {
      type: 'object',
      required: ['username', 'role'],
      properties: { username: { type: 'string' }, role: { type: 'string', enum: ['admin'] } },
    },
    expiresAt: { type: 'string', format: 'date-time' },
  },
};
const errorRef = (description: string) => ({ description, content: json({ $ref: '#/components/schemas/ApiError' }) });

/** The session endpoints of docs/api.md §2.3 (served by the auth plugin, described here so the document is complete). */
const AUTH_PATHS: Record<string, Record<string, unknown>> = {
  '/api/auth/login': {
    post: {
      operationId: 'postApiAuthLogin',
      summary: 'Log in (public)',
      security: [],
      requestBody: {
        required: true,
        content: json({
          type: 'object',
          required: ['username', 'password'],
          properties: { username: { type: 'string', maxLength: 256 }, password: { type: 'string', maxLength: 256 } },
        }),
      },
      responses: {
        '200': { description: 'Logged in; also sets the butler_session cookie', content: json(LoginResponse) },
        '400': errorRef('Invalid input'),
        '401': errorRef('Invalid credentials'),
        '429': errorRef('Too many login attempts'),
      },
    },
  },
  '/api/auth/logout': {
    post: {
      operationId: 'postApiAuthLogout',
      summary: 'Log out: revokes the session',
      responses: {
        '200': {
          description: 'Logged out',
          content: json({ type: 'object', properties: { message: { type: 'string' } } }),
        },
        '401': errorRef('Not authenticated'),
        '502': errorRef('Revocation could not be recorded'),
      },
    },
  },
  '/api/auth/refresh': {
    post: {
      operationId: 'postApiAuthRefresh',
      summary: 'New token for the session',
      responses: {
        '200': { description: 'New token', content: json(LoginResponse) },
        '401': errorRef('Not authenticated'),
      },
    },
  },
  '/api/auth/me': {
    get: {
      operationId: 'getApiAuthMe',
      summary: 'The identity of the session',
      responses: {
        '200': {
          description: 'Identity',
          content: json({
            type: 'object',
            required: ['username', 'role', 'expiresAt'],
            properties: { username: { type: 'string' }, role: { type: 'string' }, expiresAt: { type: 'string' } },
          }),
        },
        '401': errorRef('Not authenticated'),
      },
    },
  },
};

/** The documented routes: those with a schema under /api (the REST API; the proxy passes bodies through). */
export function buildOpenApiDocument(routes: readonly RegisteredRoute[], version: string) {
  const paths: Record<string, Record<string, unknown>> = { ...AUTH_PATHS };
  for (const route of routes) {
    if (!route.schema || !route.url.startsWith('/api/')) continue;
    const methods = route.method === 'HEAD' ? [] : [route.method];
    const schema = (route.schema ?? {}) as RouteSchema;
    const path = toOpenApiPath(route.url);
    for (const method of methods) {
      const parameters = [
        ...Object.entries(schema.params?.properties ?? {}).map(([name, s]) => ({
          name,
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
      const responses: Record<string, unknown> = {};
      for (const [status, s] of Object.entries(schema.response ?? {}))
        responses[status] = {
          description: status.startsWith('2') ? 'Success' : 'Error',
          content: { 'application/json': { schema: cleanSchema(s) } },
        };
      for (const [status, description] of Object.entries(ERROR_STATUSES))
        responses[status] ??= {
          description,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } },
        };
      const operation: Record<string, unknown> = {
        operationId: `${method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
        summary: schema.summary ?? `${method} ${path}`,
        ...(parameters.length ? { parameters } : {}),
        ...(schema.body
          ? { requestBody: { required: false, content: { 'application/json': { schema: cleanSchema(schema.body) } } } }
          : {}),
        responses,
      };
      (paths[path] ??= {})[method.toLowerCase()] = operation;
    }
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

export function registerOpenApiRoute(
  app: FastifyInstance,
  routes: () => readonly RegisteredRoute[],
  version: string,
): void {
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
