// pods/attach on a pod the simulator does not run (no container command): a clear 400 Status, never an upgrade.
// Attaching to pods that do run is covered by kubelet.test.ts.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from './index.js';
import { request } from './test-client.js';

let sim: Simulator;

before(async () => {
  sim = await startSimulator();
  const r = await request(sim.url, sim.token, 'POST', '/api/v1/namespaces/default/pods', {
    metadata: { name: 'p1' },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
  assert.equal(r.status, 201, r.text);
});

after(async () => {
  await sim?.stop();
});

function upgrade(path: string): Promise<{ status: number; body: any; upgraded: boolean }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, sim.url), {
      headers: {
        Authorization: `Bearer ${sim.token}`,
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': Buffer.from('0123456789abcdef').toString('base64'),
        'Sec-WebSocket-Protocol': 'v5.channel.k8s.io',
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: undefined, upgraded: true });
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), upgraded: false }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a WebSocket attach to a pod without a command is refused with 400 BadRequest', async () => {
  const r = await upgrade('/api/v1/namespaces/default/pods/p1/attach?stdin=true&stdout=true&tty=true&container=c');
  assert.equal(r.upgraded, false);
  assert.equal(r.status, 400);
  assert.equal(r.body.kind, 'Status');
  assert.equal(r.body.reason, 'BadRequest');
  assert.equal(r.body.message, 'attach needs a pod the simulator runs (containers with a command)');
});

test('attach to a missing pod is 404 NotFound first; exec still upgrades', async () => {
  const missing = await upgrade('/api/v1/namespaces/default/pods/nope/attach?stdout=true');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.reason, 'NotFound');
  const exec = await upgrade('/api/v1/namespaces/default/pods/p1/exec?command=true&stdout=true');
  assert.equal(exec.upgraded, true);
  assert.equal(exec.status, 101);
});

test('a plain (non-upgrade) attach request is 400 "Upgrade request required"', async () => {
  const r = await request(sim.url, sim.token, 'GET', '/api/v1/namespaces/default/pods/p1/attach?stdout=true');
  assert.equal(r.status, 400);
  assert.equal(r.body.message, 'Upgrade request required');
});
