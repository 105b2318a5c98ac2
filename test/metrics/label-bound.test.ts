// A client choosing the paths (the Kubernetes API proxy) must not grow the metric series without bound: the
// `resource` label of butler_kube_requests_total takes a bounded number of values, the rest count as "other".
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Simulator } from '../../sim/index.js';
import { startButlerSimulator } from '../helpers/sim.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { parsePrometheusText } from './prom-text.js';

let sim: Simulator;
let server: TestServer;

before(async () => {
  sim = await startButlerSimulator();
  server = await startTestServer({ sim });
});
after(async () => {
  await server?.close();
  await sim?.stop();
});

test('300 proxy requests for made-up resources leave at most a bounded set of resource labels', async () => {
  const { token } = await server.login();
  const headers = { authorization: `Bearer ${token}` };
  for (let i = 0; i < 300; i++) {
    const res = await fetch(`${server.url}/api/proxy/management/apis/example.com/v1/made-up-${i}`, { headers });
    await res.arrayBuffer();
    assert.equal(res.status, 404);
  }
  const res = await fetch(`${server.url}/metrics`, { headers });
  const families = parsePrometheusText(await res.text());
  const requests = families.get('butler_kube_requests_total');
  assert.ok(requests, 'butler_kube_requests_total is exported');
  const resources = new Set(requests.samples.map((s) => s.labels.resource));
  assert.ok(resources.size <= 129, `${resources.size} distinct resource labels`);
  assert.ok(resources.has('other'), 'the rest is counted as "other"');
  assert.ok(resources.has('tenantclusters'), 'the server’s own resources keep their label');
});
