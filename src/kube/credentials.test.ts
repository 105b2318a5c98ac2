import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { connectOptions } from './credentials.js';
import { KubeApiError } from './errors.js';

const dir = mkdtempSync(join(tmpdir(), 'butler-credentials-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function kubeConfig(server: string, user: Record<string, unknown>, cluster: Record<string, unknown> = {}): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, ...cluster }],
    users: [{ name: 'u', ...user }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

test('a token, over plain http without skipTLSVerify (kubectl proxy, the simulator url)', async () => {
  const o = await connectOptions(kubeConfig('http://127.0.0.1:8001/base/', { token: 't0k3n' }), 'management');
  assert.equal(o.server.href, 'http://127.0.0.1:8001/base/');
  assert.deepEqual(o.headers, { authorization: 'Bearer t0k3n' });
  assert.deepEqual(o.tls, {});
});

test('basic auth and TLS material of https servers', async () => {
  const kc = kubeConfig(
    'https://127.0.0.1:6443',
    { username: 'admin', password: 's3cret' },
    { caData: Buffer.from('CA PEM').toString('base64'), tlsServerName: 'kube.internal', skipTLSVerify: false },
  );
  const o = await connectOptions(kc, 'management');
  assert.equal(o.headers.authorization, `Basic ${Buffer.from('admin:s3cret').toString('base64')}`);
  assert.equal(String(o.tls.ca), 'CA PEM');
  assert.equal(o.tls.servername, 'kube.internal');
});

test('one KubeConfig gives the same options to every caller until the refresh', async () => {
  const kc = kubeConfig('https://127.0.0.1:6443', { token: 'a' });
  const [a, b] = await Promise.all([connectOptions(kc, 'x'), connectOptions(kc, 'x')]);
  assert.equal(a, b);
  assert.equal(await connectOptions(kc, 'x'), a);
});

test('a token file that cannot be read: an unavailable error naming the client, not the file content', async () => {
  const kc = kubeConfig('https://127.0.0.1:6443', {
    authProvider: { name: 'tokenFile', config: { tokenFile: join(dir, 'missing') } },
  });
  await assert.rejects(connectOptions(kc, 'tenant ns/a'), (err: unknown) => {
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.kind, 'unavailable');
    assert.equal(err.message, 'tenant ns/a: cannot load credentials');
    return true;
  });
  writeFileSync(join(dir, 'missing'), 'from-file');
  assert.equal((await connectOptions(kc, 'tenant ns/a')).headers.authorization, 'Bearer from-file');
});
