import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startApiEnv, type ApiEnv } from './fixture.js';

// Every REST endpoint of docs/api.md §3 (and the session endpoints of §2.3).
const CONTRACT_ROUTES = [
  'post /api/auth/login',
  'post /api/auth/logout',
  'post /api/auth/refresh',
  'get /api/auth/me',
  'get /api/clusters',
  'post /api/clusters',
  'get /api/clusters/{ns}/{name}',
  'delete /api/clusters/{ns}/{name}',
  'patch /api/clusters/{ns}/{name}/scale',
  'get /api/clusters/{ns}/{name}/kubeconfig',
  'get /api/clusters/{ns}/{name}/nodes',
  'get /api/clusters/{ns}/{name}/events',
  'get /api/clusters/{ns}/{name}/addons',
  'post /api/clusters/{ns}/{name}/addons',
  'get /api/clusters/{ns}/{name}/addons/{addon}',
  'put /api/clusters/{ns}/{name}/addons/{addon}',
  'delete /api/clusters/{ns}/{name}/addons/{addon}',
  'get /api/management',
  'get /api/management/nodes',
  'get /api/management/namespaces/{ns}/pods',
  'get /api/management/pods/{ns}',
  'get /api/management/addons',
  'post /api/management/addons',
  'get /api/management/addons/{name}',
  'put /api/management/addons/{name}',
  'delete /api/management/addons/{name}',
  'get /api/addons/catalog',
  'get /api/addons/catalog/{name}',
  'get /api/providers',
  'post /api/providers',
  'post /api/providers/test',
  'post /api/providers/{ns}/{name}/validate',
  'get /api/providers/{ns}/{name}',
  'delete /api/providers/{ns}/{name}',
  'get /api/openapi.json',
];

const PRIVATE_KEYWORDS = new Set(['errorMessage', 'paramError', 'fullMessage', 'bodyError']);

/** JSON paths where a validation-message keyword appears as a keyword (not as a property name of an answer). */
function privateKeywords(node: unknown, path = '$', out: string[] = []): string[] {
  if (typeof node !== 'object' || node === null) return out;
  for (const [key, value] of Object.entries(node)) {
    if (PRIVATE_KEYWORDS.has(key) && !/\.(properties|patternProperties)$/.test(path)) out.push(`${path}.${key}`);
    privateKeywords(value, `${path}.${key}`, out);
  }
  return out;
}

describe('GET /api/openapi.json', () => {
  let env: ApiEnv;
  before(async () => {
    env = await startApiEnv();
  });
  after(async () => {
    await env?.close();
  });

  it('needs a session', async () => {
    const res = await fetch(`${env.server.url}/api/openapi.json`);
    assert.equal(res.status, 401);
  });

  it('is a valid OpenAPI 3.1 document covering every route, with the request schemas', async () => {
    const res = await env.api('GET', '/api/openapi.json');
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, '3.1.0');
    const validator = new Validator();
    const result = await validator.validate(res.body);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    const documented = Object.entries(res.body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`),
    );
    for (const route of CONTRACT_ROUTES) assert.ok(documented.includes(route), `${route} is not documented`);
    const create = res.body.paths['/api/clusters'].post;
    const body = create.requestBody.content['application/json'].schema;
    assert.deepEqual(body.required.sort(), ['name', 'providerConfigRef']);
    assert.equal(body.properties.kubernetesVersion.pattern, '^v\\d+\\.\\d+\\.\\d+$');
    assert.deepEqual(privateKeywords(res.body), [], 'our message keywords are not in the document');
    const params = res.body.paths['/api/clusters/{ns}/{name}'].get.parameters.map((p: any) => p.name);
    assert.deepEqual(params, ['ns', 'name']);
  });

  it('documents every registered route with its request and response schemas', async () => {
    const doc = (await env.api('GET', '/api/openapi.json')).body;
    const routes = env.server.app.registeredRoutes;
    const withGet = new Set(routes.filter((r) => r.method === 'GET').map((r) => r.url));
    const problems: string[] = [];
    for (const route of routes) {
      if (route.method === 'HEAD' && withGet.has(route.url)) continue; // answered like the GET, without a body
      const name = `${route.method} ${route.url}`;
      const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{path}');
      const op = doc.paths[path]?.[route.method.toLowerCase()];
      if (!op) {
        problems.push(`${name}: not in the document`);
        continue;
      }
      const schema = (route.schema ?? {}) as { response?: Record<string, unknown>; body?: unknown };
      if (!schema.response || Object.keys(schema.response).length === 0) problems.push(`${name}: no response schema`);
      const successes = Object.keys(op.responses).filter((s) => /^[123]/.test(s));
      if (successes.length === 0) problems.push(`${name}: no documented success answer`);
      const documentedParams = new Set(
        (op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name),
      );
      for (const [, param] of path.matchAll(/\{([^}]+)\}/g))
        if (!documentedParams.has(param)) problems.push(`${name}: path parameter ${param} has no schema`);
      if (Boolean(schema.body) !== Boolean(op.requestBody)) problems.push(`${name}: request body not documented`);
    }
    assert.deepEqual(problems, []);
  });

  it('describes the session routes from the schemas that validate them (nothing written by hand)', async () => {
    const doc = (await env.api('GET', '/api/openapi.json')).body;
    const login = doc.paths['/api/auth/login'].post;
    assert.deepEqual(login.security, [], 'login is public');
    const loginBody = login.requestBody.content['application/json'].schema;
    assert.deepEqual(loginBody.required, ['password']);
    assert.equal(loginBody.properties.username.maxLength, 256);
    const session = login.responses['200'].content['application/json'].schema;
    assert.deepEqual(session.required.sort(), ['expiresAt', 'token', 'user']);
    assert.ok(session.properties.user.properties.email, 'the user object of the answer');
    const me = doc.paths['/api/auth/me'].get;
    assert.equal(me.security, undefined, 'me needs a session (the document default)');
    assert.deepEqual(Object.keys(me.responses['200'].content['application/json'].schema.properties).sort(), [
      'email',
      'expiresAt',
      'isPlatformAdmin',
      'name',
      'picture',
      'platformRole',
      'provider',
      'role',
      'teams',
      'username',
    ]);
    for (const [path, method] of [
      ['/api/auth/logout', 'post'],
      ['/api/auth/refresh', 'post'],
    ]) {
      const op = doc.paths[path][method];
      assert.ok(op.responses['200'].content['application/json'].schema.properties, `${method} ${path} answer`);
    }
  });
});
