import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadManagementKubeConfig } from './connection.js';

const dir = mkdtempSync(join(tmpdir(), 'butler-connection-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a kubeconfig file gives the server and credentials of its current context', () => {
  const path = join(dir, 'config');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- {name: a, cluster: {server: "https://a.example:6443"}}',
      '- {name: b, cluster: {server: "https://b.example:6443"}}',
      'users:',
      '- {name: u, user: {token: t0k3n}}',
      'contexts:',
      '- {name: ca, context: {cluster: a, user: u}}',
      '- {name: cb, context: {cluster: b, user: u}}',
      'current-context: cb',
    ].join('\n'),
  );
  const kc = loadManagementKubeConfig({ source: 'kubeconfig-flag', kubeconfigPath: path });
  assert.equal(kc.getCurrentCluster()?.server, 'https://b.example:6443');
  assert.equal(kc.getCurrentUser()?.token, 't0k3n');
});

test('a missing file or path is an error', () => {
  assert.throws(() => loadManagementKubeConfig({ source: 'kubeconfig-env', kubeconfigPath: join(dir, 'nope') }));
  assert.throws(() => loadManagementKubeConfig({ source: 'kubeconfig-env' }), /kubeconfig path missing/);
});

test('in-cluster: the service host and port from the environment, the token file as credentials', () => {
  const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
  process.env.KUBERNETES_SERVICE_HOST = '10.96.0.1';
  process.env.KUBERNETES_SERVICE_PORT = '443';
  try {
    const kc = loadManagementKubeConfig({ source: 'in-cluster' });
    assert.equal(kc.getCurrentCluster()?.server, 'https://10.96.0.1:443');
    assert.equal(kc.getCurrentUser()?.authProvider?.name, 'tokenFile');
  } finally {
    if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
    else process.env.KUBERNETES_SERVICE_HOST = saved.host;
    if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
    else process.env.KUBERNETES_SERVICE_PORT = saved.port;
  }
});
