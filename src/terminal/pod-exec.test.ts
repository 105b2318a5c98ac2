import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { startSimulator, type Simulator } from '../../sim/index.js';
import type { BackendExit } from './backend.js';
import { PodExec } from './pod-exec.js';

let sim: Simulator;

before(async () => {
  sim = await startSimulator({
    seed: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web', namespace: 'apps' },
        spec: { containers: [{ name: 'main', image: 'busybox' }] },
      },
    ],
  });
});
after(async () => {
  await sim?.stop();
});

/** The simulator's plain-http url with its token: what `kubectl proxy`-like or in-mesh http servers look like. */
function plainHttpKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sim', server: sim.url }],
    users: [{ name: 'u', token: sim.token }],
    contexts: [{ name: 'sim', cluster: 'sim', user: 'u' }],
    currentContext: 'sim',
  });
  return kc;
}

test('exec over a plain-http API server without skipTLSVerify', async () => {
  const exec = await PodExec.start(plainHttpKubeConfig(), { namespace: 'apps', pod: 'web', container: 'main' }, 'm');
  const exited = new Promise<BackendExit>((resolve) => exec.onExit(resolve));
  let output = '';
  exec.onOutput((c) => (output += c.toString('utf8')));
  exec.write('echo exec-$((6*7)); exit 7\r');
  const exit = await Promise.race([
    exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no exit within 10 s')), 10_000).unref()),
  ]);
  assert.equal(exit.exitCode, 7);
  assert.match(output, /exec-42/);
  await exec.terminate();
});

test('a refused upgrade rejects with its status and the Status message', async () => {
  await assert.rejects(
    PodExec.start(plainHttpKubeConfig(), { namespace: 'apps', pod: 'ghost', container: 'main' }, 'm'),
    (err: { status: number; message: string }) => {
      assert.equal(err.status, 404);
      assert.match(err.message, /ghost/);
      return true;
    },
  );
});
