import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApiEnv, type ApiEnv } from './fixture.js';

describe('API with the Kubernetes API down', () => {
  let env: ApiEnv;
  before(async () => {
    env = await startApiEnv();
  });
  after(async () => {
    await env?.close();
  });

  it('answers 502 or 504 within 11 s while it is down, and recovers by itself', async () => {
    await env.sim.faults.down();
    try {
      for (const [method, path, body] of [
        ['GET', '/api/management'],
        ['GET', '/api/management/nodes'],
        ['GET', '/api/addons/catalog'],
        ['POST', '/api/clusters', { name: 'down', providerConfigRef: 'pmx' }],
        ['DELETE', '/api/clusters/butler-tenants/x'],
        ['GET', '/api/management/addons'],
      ] as [string, string, unknown?][]) {
        const started = Date.now();
        const res = await env.api(method, path, body);
        const took = Date.now() - started;
        assert.ok(
          res.status === 502 || res.status === 504,
          `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`,
        );
        assert.match(res.body.error, /^kubernetes API (unavailable|timed out)$/);
        assert.ok(took < 11_000, `${method} ${path} took ${took} ms`);
      }
    } finally {
      await env.sim.faults.up();
    }
    const deadline = Date.now() + 10_000;
    let created;
    for (;;) {
      created = await env.api('POST', '/api/clusters', { name: 'after', providerConfigRef: 'pmx' });
      if (created.status === 201 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const list = await env.api('GET', '/api/clusters');
    assert.ok(
      list.body.clusters.some((c: any) => c.metadata.name === 'after'),
      'the cache recovered',
    );
    assert.equal((await env.api('GET', '/api/management/nodes')).status, 200);
  });
});
