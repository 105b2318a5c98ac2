import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../http/errors.js';
import { KubeApiError, toHttpError, type KubeStatus } from './errors.js';

const statusError = (code: number, status: KubeStatus = {}, retryAfterSeconds?: number, clientName = 'management') =>
  new KubeApiError('status', `answered ${code}`, { statusCode: code, status, retryAfterSeconds, clientName });

const ctx = { kind: 'TenantCluster', namespace: 'team-a', name: 'c1', verb: 'get', resource: 'tenantclusters' };

test('404 names the object', () => {
  const e = toHttpError(statusError(404, { reason: 'NotFound' }), ctx);
  assert.equal(e.status, 404);
  assert.equal(e.message, 'TenantCluster "team-a/c1" not found');
});

test('cluster-scoped objects are named without a namespace', () => {
  const e = toHttpError(statusError(404), { kind: 'ManagementAddon', name: 'x' });
  assert.equal(e.message, 'ManagementAddon "x" not found');
});

test('409 AlreadyExists and Conflict have their own texts', () => {
  assert.equal(
    toHttpError(statusError(409, { reason: 'AlreadyExists' }), ctx).message,
    'TenantCluster "team-a/c1" already exists',
  );
  const conflict = toHttpError(statusError(409, { reason: 'Conflict' }), ctx);
  assert.equal(conflict.status, 409);
  assert.equal(conflict.message, 'TenantCluster "team-a/c1" was changed concurrently; try again');
});

test('422 Invalid → 400 with the first cause and all causes in details', () => {
  const status: KubeStatus = {
    reason: 'Invalid',
    message: 'TenantCluster.butler.butlerlabs.dev "c1" is invalid: spec.workers.replicas: Invalid value: -1',
    details: {
      causes: [
        { reason: 'FieldValueInvalid', message: 'Invalid value: -1: must be >= 0', field: 'spec.workers.replicas' },
        { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.providerConfigRef' },
      ],
    },
  };
  const e = toHttpError(statusError(422, status), ctx);
  assert.equal(e.status, 400);
  assert.equal(
    e.message,
    'TenantCluster "team-a/c1" was rejected: spec.workers.replicas: Invalid value: -1: must be >= 0',
  );
  assert.equal(e.details?.reason, 'Invalid');
  assert.deepEqual(e.details?.causes?.[1], {
    field: 'spec.providerConfigRef',
    message: 'Required value',
    reason: 'FieldValueRequired',
  });
});

test('400 BadRequest from strict field validation names the unknown field', () => {
  const status: KubeStatus = {
    reason: 'BadRequest',
    message:
      'TenantCluster in version "v1alpha1" cannot be handled as a TenantCluster: strict decoding error: unknown field "spec.foo"',
  };
  const e = toHttpError(statusError(400, status), ctx);
  assert.equal(e.status, 400);
  assert.equal(e.message, 'TenantCluster "team-a/c1" was rejected: strict decoding error: unknown field "spec.foo"');
});

test('403 names verb, resource and namespace', () => {
  const e = toHttpError(statusError(403, { reason: 'Forbidden', message: 'secret upstream text' }), ctx);
  assert.equal(e.status, 403);
  assert.equal(e.message, 'butler-server is not allowed to get tenantclusters in namespace team-a');
  assert.doesNotMatch(JSON.stringify(e.toJSON()), /secret upstream/);
});

test('401 → 502 credentials, 429 → 503 with Retry-After, 5xx → 502, 504 → 504', () => {
  const unauth = toHttpError(statusError(401), ctx);
  assert.deepEqual([unauth.status, unauth.message], [502, "kubernetes API rejected butler-server's credentials"]);
  const throttled = toHttpError(statusError(429, {}, 7), ctx);
  assert.deepEqual([throttled.status, throttled.message], [503, 'kubernetes API is throttling requests']);
  assert.equal(throttled.headers?.['retry-after'], '7');
  for (const code of [500, 502, 503]) {
    const e = toHttpError(statusError(code, { message: 'etcd is down' }), ctx);
    assert.deepEqual([e.status, e.message], [502, 'kubernetes API unavailable']);
  }
  const gw = toHttpError(statusError(504), ctx);
  assert.deepEqual([gw.status, gw.message], [504, 'kubernetes API timed out']);
});

test('network failures and timeouts', () => {
  const down = toHttpError(new KubeApiError('unavailable', 'ECONNREFUSED'), ctx);
  assert.deepEqual([down.status, down.message], [502, 'kubernetes API unavailable']);
  const slow = toHttpError(new KubeApiError('timeout', 'timed out'), ctx);
  assert.deepEqual([slow.status, slow.message], [504, 'kubernetes API timed out']);
});

test('tenant cluster failures say "tenant cluster API"', () => {
  const byCtx = toHttpError(new KubeApiError('unavailable', 'x'), { ...ctx, api: 'tenant' });
  assert.equal(byCtx.message, 'tenant cluster API unavailable');
  const byClient = toHttpError(new KubeApiError('timeout', 'x', { clientName: 'tenant team-a/c1' }), { kind: 'Node' });
  assert.equal(byClient.message, 'tenant cluster API timed out');
  assert.equal(
    toHttpError(statusError(401, {}, undefined, 'tenant a/b'), ctx).message,
    "tenant cluster API rejected butler-server's credentials",
  );
});

test('HttpErrors pass through; other errors become 500 without their text', () => {
  const h = new HttpError(418, 'teapot');
  assert.equal(toHttpError(h, ctx), h);
  const e = toHttpError(new Error('secret detail'), ctx);
  assert.deepEqual([e.status, e.message], [500, 'internal server error']);
});
