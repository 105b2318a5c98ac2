// GET /api/admin/audit over real HTTP: logins and writes become entries (also at log level warn, where the audit lines
// are not printed), filters and paging, 400/403, and the entries survive a server restart on the same BUTLER_AUDIT_DIR.
// Also the 404 of /api/admin/config without a ButlerConfig.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Identity } from '../../src/auth/session.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { baseSeed, startApiEnv, type ApiEnv } from './fixture.js';

let env: ApiEnv;
let dir: string;
let serverEnv: Record<string, string>;
let restarted: TestServer | undefined;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'butler-audit-'));
  serverEnv = { BUTLER_AUDIT_DIR: dir, BUTLER_LOG_LEVEL: 'warn' };
  const nobody = {
    apiVersion: 'butler.butlerlabs.dev/v1alpha1',
    kind: 'User',
    metadata: { name: 'nobody' },
    spec: { authType: 'internal', email: 'nobody@example.com' },
  };
  env = await startApiEnv({ env: serverEnv, seed: [...baseSeed(), nobody] });
});
after(async () => {
  if (restarted) {
    await restarted.close();
    await env.sim.stop();
  } else await env?.close();
  rmSync(dir, { recursive: true, force: true });
});

const query = async (url: string, token: string, q = '') => {
  const res = await fetch(`${url}/api/admin/audit${q}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as any };
};

describe('GET /api/admin/audit', () => {
  it('records logins and writes with their outcome, newest first, even at log level warn', async () => {
    const wrong = await fetch(`${env.server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'not-the-password' }),
    });
    assert.equal(wrong.status, 401);
    const missing = await env.api('GET', '/api/admin/config');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'ButlerConfig "butler" not found');
    const put = await env.api('PUT', '/api/admin/config', { multiTenancy: { mode: 'Enforced' } });
    assert.equal(put.status, 404);

    const all = await query(env.server.url, env.token);
    assert.equal(all.status, 200, JSON.stringify(all.body));
    const actions = all.body.entries.map((e: any) => e.action);
    assert.deepEqual(actions.slice(0, 3), ['config.update', 'login.failure', 'login.success']);
    const update = all.body.entries[0];
    assert.equal(update.user, 'admin');
    assert.equal(update.success, false);
    assert.equal(update.statusCode, 404);
    assert.equal(update.resourceType, 'config');
    assert.ok(Date.parse(update.timestamp) > Date.now() - 60_000);
    assert.equal(all.body.total, all.body.entries.length);
    assert.equal(all.body.limit, 50);
    assert.equal(
      env.server.logs.filter((l) => l.includes('"audit":true')).length,
      0,
      'at level warn the audit lines are not printed',
    );
  });

  it('filters by user, action, resource type, success and time, and pages', async () => {
    const token = env.token;
    const url = env.server.url;
    assert.deepEqual(
      (await query(url, token, '?success=false')).body.entries.map((e: any) => e.action),
      ['config.update', 'login.failure'],
    );
    assert.equal((await query(url, token, '?action=login')).body.total, 2);
    assert.equal((await query(url, token, '?action=login.failure')).body.total, 1);
    assert.equal((await query(url, token, '?resourceType=session')).body.total, 2);
    assert.equal((await query(url, token, '?user=nobody')).body.total, 0);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    assert.equal((await query(url, token, `?from=${future}`)).body.total, 0);
    assert.equal((await query(url, token, `?to=${future}&user=ADMIN`)).body.total, 3);
    const page = await query(url, token, '?limit=1&offset=1');
    assert.equal(page.body.total, 3);
    assert.deepEqual(
      page.body.entries.map((e: any) => e.action),
      ['login.failure'],
    );
  });

  it('answers 400 for bad filters and 403 without a platform role', async () => {
    for (const q of ['?from=yesterday', '?limit=0', '?limit=501', '?success=maybe', '?offset=-1', '?colour=red']) {
      const res = await query(env.server.url, env.token, q);
      assert.equal(res.status, 400, `${q}: ${JSON.stringify(res.body)}`);
      assert.equal(typeof res.body.error, 'string');
    }
    const later = new Date(Date.now() - 1000).toISOString();
    const earlier = new Date(Date.now() - 2000).toISOString();
    assert.equal((await query(env.server.url, env.token, `?from=${later}&to=${earlier}`)).status, 400);
    const nobody: Identity = {
      subject: 'internal:nobody',
      username: 'nobody',
      email: 'nobody@example.com',
      name: 'Nobody',
      provider: 'internal',
      groups: [],
    };
    const token = (await env.server.app.butlerAuth.tokens.issue(nobody)).token;
    const refused = await query(env.server.url, token);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'forbidden: platform viewer or admin required');
  });

  it('keeps the entries across a server restart on the same directory', async () => {
    const before = (await query(env.server.url, env.token)).body;
    await env.server.close();
    restarted = await startTestServer({ sim: env.sim, env: serverEnv });
    const { token } = await restarted.login();
    const after = (await query(restarted.url, token)).body;
    assert.equal(after.total, before.total + 1, 'the earlier entries and the new login');
    assert.equal(after.entries[0].action, 'login.success');
    assert.deepEqual(after.entries.slice(1), before.entries);
  });
});
