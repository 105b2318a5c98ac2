import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkUntrustedKubeconfig,
  KubeconfigRejected,
  loadSanitizedKubeconfig,
  toKubeconfigYaml,
} from './kubeconfig-check.js';

const base = () => ({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [
    { name: 'a', cluster: { server: 'https://10.0.0.1:6443', 'certificate-authority-data': 'Q0E=' } },
    { name: 'b', cluster: { server: 'https://10.0.0.2:6443', 'insecure-skip-tls-verify': true } },
  ],
  users: [
    { name: 'ua', user: { token: 't0ken' } },
    { name: 'ub', user: { 'client-certificate-data': 'Q0VSVA==', 'client-key-data': 'S0VZ' } },
  ],
  contexts: [
    { name: 'ca', context: { cluster: 'a', user: 'ua', namespace: 'x' } },
    { name: 'cb', context: { cluster: 'b', user: 'ub' } },
  ],
  'current-context': 'ca',
});

function rejected(doc: unknown): KubeconfigRejected {
  try {
    checkUntrustedKubeconfig(typeof doc === 'string' ? doc : JSON.stringify(doc));
  } catch (err) {
    assert.ok(err instanceof KubeconfigRejected);
    return err;
  }
  assert.fail('kubeconfig was accepted');
}

describe('untrusted kubeconfig check', () => {
  it('accepts inline credentials and resolves the current context', () => {
    const s = checkUntrustedKubeconfig(JSON.stringify(base()));
    assert.equal(s.cluster.server, 'https://10.0.0.1:6443');
    assert.equal(s.user.token, 't0ken');
    const kc = loadSanitizedKubeconfig(s);
    assert.equal(kc.getCurrentCluster()?.server, 'https://10.0.0.1:6443');
    assert.equal(kc.getCurrentUser()?.token, 't0ken');
    const again = checkUntrustedKubeconfig(toKubeconfigYaml(s));
    assert.deepEqual(again.user, { ...s.user });
  });

  it('checks every entry, not only the current context', () => {
    const doc = base();
    (doc.users[1]!.user as Record<string, unknown>).exec = { command: 'touch', args: ['/tmp/x'] };
    const err = rejected(doc);
    assert.equal(err.path, 'users[1].user.exec');
    assert.equal(err.message, 'users[1].user.exec is not allowed; only inline credentials are accepted');
  });

  it('rejects file paths, auth providers, proxies and impersonation', () => {
    const cases: [(d: ReturnType<typeof base>) => void, string][] = [
      [
        (d) => ((d.users[0]!.user as Record<string, unknown>)['auth-provider'] = { name: 'gcp' }),
        'users[0].user.auth-provider',
      ],
      [(d) => ((d.users[0]!.user as Record<string, unknown>).tokenFile = '/etc/passwd'), 'users[0].user.tokenFile'],
      [(d) => ((d.users[0]!.user as Record<string, unknown>)['client-key'] = '/root/key'), 'users[0].user.client-key'],
      [
        (d) => ((d.users[0]!.user as Record<string, unknown>)['client-certificate'] = '/root/c'),
        'users[0].user.client-certificate',
      ],
      [(d) => ((d.users[0]!.user as Record<string, unknown>).as = 'system:admin'), 'users[0].user.as'],
      [
        (d) => ((d.clusters[1]!.cluster as Record<string, unknown>)['certificate-authority'] = '/ca'),
        'clusters[1].cluster.certificate-authority',
      ],
      [
        (d) => ((d.clusters[0]!.cluster as Record<string, unknown>)['proxy-url'] = 'http://p'),
        'clusters[0].cluster.proxy-url',
      ],
      [
        (d) => ((d.clusters[0]!.cluster as Record<string, unknown>).server = 'file:///etc/passwd'),
        'clusters[0].cluster.server',
      ],
      [(d) => (d['current-context'] = 'nope'), 'current-context'],
      [(d) => (d.contexts[0]!.context.user = 'ghost'), 'current-context'],
    ];
    for (const [mutate, path] of cases) {
      const doc = base();
      mutate(doc);
      assert.equal(rejected(doc).path, path);
    }
  });

  it('rejects non-kubeconfig text, several documents and oversized input', () => {
    assert.equal(rejected('not: [valid').path, '');
    assert.equal(rejected('a: 1\n---\nb: 2\n').path, '');
    assert.equal(rejected('"just a string"').path, '');
    assert.match(rejected('x'.repeat(256 * 1024 + 1)).message, /larger than 256 KiB/);
  });
});
