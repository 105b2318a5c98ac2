// With BUTLER_AUDIT_LOG_FILE, every state-changing action lands in that file as one JSON line with user, client
// address, action, target, result and request id, and not in the normal log; no secret is ever written.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../../test/helpers/server.js';
import { startWorld, type World } from '../../test/rbac/scenario.js';

let world: World;
let server: TestServer;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'butler-audit-'));
  world = await startWorld();
  server = await startTestServer({
    sim: world.management,
    env: { BUTLER_AUDIT_LOG_FILE: join(dir, 'audit', 'audit.log'), BUTLER_PROVIDER_ALLOWED_CIDRS: '127.0.0.0/8' },
  });
});
after(async () => {
  await server?.close();
  await world?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('each state-changing action is audited with user and result, in the audit file only', async () => {
  const bad = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'not-the-password' }),
  });
  assert.equal(bad.status, 401);
  const { token } = await server.login();
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-request-id': 'req-audit-1' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    await res.text();
    return res.status;
  };
  const C = '/api/clusters/butler-tenants';
  assert.equal(await call('POST', '/api/clusters', { name: 'aud', providerConfigRef: 'pmx' }), 201);
  assert.equal(await call('PATCH', `${C}/aud/scale`, { replicas: 3 }), 200);
  assert.equal(await call('PATCH', `${C}/ghost/scale`, { replicas: 3 }), 404);
  assert.equal(await call('DELETE', `${C}/aud`), 200);
  assert.equal(await call('POST', `${C}/alpha/addons`, { addon: 'longhorn' }), 201);
  assert.equal(await call('DELETE', `${C}/alpha/addons/longhorn`), 200);
  const provider = {
    name: 'aud-pmx',
    provider: 'proxmox',
    proxmoxEndpoint: 'https://127.0.0.1:1',
    proxmoxTokenId: 'root@pam!ci',
    proxmoxTokenSecret: 'very-secret-token-value',
    proxmoxNodes: ['pve1'],
    proxmoxStorage: 'local-lvm',
  };
  assert.equal(await call('POST', '/api/providers', provider), 201);
  assert.equal(await call('POST', '/api/providers/butler-system/aud-pmx/validate'), 200);
  assert.equal(await call('DELETE', '/api/providers/butler-system/aud-pmx'), 200);
  assert.equal(await call('POST', '/api/auth/logout'), 200);

  const text = readFileSync(join(dir, 'audit', 'audit.log'), 'utf8');
  const lines = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const l of lines) {
    assert.equal(l.audit, true);
    assert.equal(typeof l.time, 'string');
    assert.equal(typeof l.address, 'string');
    assert.equal(typeof l.requestId, 'string');
  }
  const find = (event: string, result: string, target?: string) =>
    lines.find((l) => l.event === event && l.result === result && (target === undefined || l.target === target));
  const expectLine = (event: string, result: string, target?: string) => {
    const l = find(event, result, target);
    assert.ok(l, `no audit line ${event} ${result} ${target ?? ''}:\n${text}`);
    assert.equal(l.user, 'admin');
  };
  expectLine('login.failure', 'Invalid email or password');
  expectLine('login.success', 'success');
  expectLine('cluster.create', 'success', 'butler-tenants/aud');
  expectLine('cluster.scale', 'success', 'butler-tenants/aud');
  expectLine('cluster.scale', 'failure', 'butler-tenants/ghost');
  expectLine('cluster.delete', 'success', 'butler-tenants/aud');
  expectLine('addon.install', 'success', 'butler-tenants/alpha#longhorn');
  expectLine('addon.uninstall', 'success', 'butler-tenants/alpha#longhorn');
  expectLine('provider.create', 'success', 'butler-system/aud-pmx');
  expectLine('provider.validate', 'success', 'butler-system/aud-pmx');
  expectLine('provider.delete', 'success', 'butler-system/aud-pmx');
  expectLine('logout', 'success');
  assert.equal(find('cluster.create', 'success')!.requestId, 'req-audit-1');
  for (const secret of [TEST_ADMIN_PASSWORD, 'not-the-password', 'very-secret-token-value', token]) {
    assert.ok(!text.includes(secret), 'no secret in the audit file');
  }
  assert.ok(!server.logs.some((l) => l.includes('"audit":true')), 'audit lines are not in the normal log');
  assert.ok(server.logs.length > 0, 'the normal log still gets its lines');
});
