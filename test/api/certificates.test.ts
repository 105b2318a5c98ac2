// GET …/certificates and POST …/certificates/rotate against the simulator: Kamaji-style control-plane Secrets holding
// real X.509 certificates (made with openssl), the audit line of a rotation, and the refusals.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { certificateSecrets } from '../../demo/control-plane.js';
import { baseSeed, ns, simGet, startApiEnv, type ApiEnv } from './fixture.js';
import { teamViewerSeed, viewerApi } from './team-viewer.js';

const TENANT_NS = 'butler-tenants-alpha';
const SECRETS = `/api/v1/namespaces/${TENANT_NS}/secrets`;
const ROTATE = 'certs.kamaji.clastix.io/rotate';

const cluster = (name: string) => ({
  apiVersion: 'butler.butlerlabs.dev/v1alpha1',
  kind: 'TenantCluster',
  metadata: { name, namespace: 'butler-tenants' },
  spec: {
    kubernetesVersion: 'v1.30.2',
    providerConfigRef: { name: 'pmx' },
    teamRef: { name: 'team-a' },
    workers: { replicas: 1 },
  },
  status: { phase: 'Ready', tenantNamespace: TENANT_NS },
});

describe('cluster certificates', () => {
  /** What Kamaji does once it has renewed a Secret's certificate: the rotate annotation holds the renewal time. */
  const annotate = async (name: string, value: string) => {
    const res = await fetch(`${env.sim.url}${SECRETS}/${name}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${env.sim.token}`, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { annotations: { [ROTATE]: value } } }),
    });
    assert.equal(res.status, 200, await res.text());
  };
  let env: ApiEnv;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'butler-certs-audit-'));
    const stray = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'alpha-stray-certificate', namespace: TENANT_NS },
      data: { 'tls.crt': Buffer.from('not even pem').toString('base64') },
    };
    env = await startApiEnv({
      env: { BUTLER_AUDIT_LOG_FILE: join(dir, 'audit.log') },
      seed: [
        ...baseSeed(),
        ns(TENANT_NS),
        ...teamViewerSeed(),
        cluster('alpha'),
        cluster('beta'),
        cluster('empty'),
        ...(await certificateSecrets({
          cluster: 'alpha',
          namespace: TENANT_NS,
          days: { 'api-server-certificate': 20, 'admin-kubeconfig': 3 },
          endpointIp: '10.0.0.50',
        })),
        ...(await certificateSecrets({ cluster: 'beta', namespace: TENANT_NS })),
        stray,
      ],
    });
  });
  after(async () => {
    await env?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads every certificate of the control plane, grouped by category, with SANs, issuer, validity and health', async () => {
    const res = await env.api('GET', '/api/clusters/butler-tenants/alpha/certificates');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const body = res.body;
    assert.equal(body.clusterName, 'alpha');
    assert.equal(body.namespace, 'butler-tenants');
    assert.equal(body.tcpNamespace, TENANT_NS);
    assert.deepEqual(Object.keys(body.categories), [
      'ca',
      'apiserver',
      'kubeconfig',
      'front-proxy',
      'konnectivity',
      'datastore',
    ]);
    const count = (c: string) => body.categories[c].length;
    assert.deepEqual(
      ['ca', 'apiserver', 'kubeconfig', 'front-proxy', 'konnectivity', 'datastore'].map(count),
      [2, 2, 3, 1, 1, 2],
    );
    assert.equal(body.certificateCount, 11);
    const all = Object.values(body.categories).flat() as any[];
    assert.ok(
      all.every((c) => c.secretName.startsWith('alpha-')),
      "only alpha's Secrets",
    );

    const ca = body.categories.ca.find((c: any) => c.secretName === 'alpha-ca');
    assert.equal(ca.subject, 'CN=kubernetes');
    assert.equal(ca.issuer, 'CN=kubernetes');
    assert.equal(ca.isCA, true);
    assert.equal(ca.secretKey, 'ca.crt');
    assert.equal(ca.healthStatus, 'Healthy');

    const api = body.categories.apiserver.find((c: any) => c.secretName === 'alpha-api-server-certificate');
    assert.equal(api.subject, 'CN=kube-apiserver');
    assert.equal(api.issuer, 'CN=kubernetes');
    assert.equal(api.isCA, false);
    assert.deepEqual(api.dnsNames, [
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      `alpha.${TENANT_NS}.svc`,
    ]);
    assert.deepEqual(api.ipAddresses, ['10.0.0.50', '10.96.0.1']);
    assert.ok(api.daysUntilExpiry === 19 || api.daysUntilExpiry === 20, String(api.daysUntilExpiry));
    assert.equal(api.healthStatus, 'Warning');
    assert.equal(api.ageInDays, 0);
    assert.match(api.serialNumber, /^[0-9A-F]+$/);
    const span = Date.parse(api.notAfter) - Date.parse(api.notBefore);
    assert.ok(Math.abs(span - 20 * 86_400_000) < 120_000, `20 days of validity, got ${span} ms`);

    const admin = body.categories.kubeconfig.find((c: any) => c.secretName === 'alpha-admin-kubeconfig');
    assert.equal(admin.secretKey, 'admin.conf');
    assert.equal(admin.subject, 'CN=kubernetes-admin, O=kubeadm:cluster-admins');
    assert.equal(admin.healthStatus, 'Critical');
    assert.equal(body.overallHealth, 'Critical');
    assert.equal(body.earliestExpiry, admin.notAfter);
    assert.equal(body.rotationInProgress, false);
    assert.deepEqual(body.rotatingSecrets, []);
  });

  it('a cluster without certificate Secrets has none; a team viewer may read them; 404 for an absent cluster', async () => {
    const empty = await env.api('GET', '/api/clusters/butler-tenants/empty/certificates');
    assert.equal(empty.status, 200);
    assert.deepEqual(
      { categories: empty.body.categories, count: empty.body.certificateCount, health: empty.body.overallHealth },
      { categories: {}, count: 0, health: 'Unknown' },
    );
    const viewer = await viewerApi(env);
    assert.equal((await viewer('GET', '/api/clusters/butler-tenants/alpha/certificates')).status, 200);
    const missing = await env.api('GET', '/api/clusters/butler-tenants/ghost/certificates');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'TenantCluster "butler-tenants/ghost" not found');
  });

  it('rotation: platform admins only; bad bodies 400; absent cluster 404', async () => {
    const viewer = await viewerApi(env);
    const denied = await viewer('POST', '/api/clusters/butler-tenants/alpha/certificates/rotate', { type: 'all' });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error, 'forbidden: platform admin required');
    for (const [body, message] of [
      [{}, /^type: is required$/],
      [{ type: 'everything' }, /^type: must be one of all, kubeconfigs, ca$/],
      [{ type: 'ca', acknowledge: true }, /^type: CA rotation is not offered/],
    ] as const) {
      const res = await env.api('POST', '/api/clusters/butler-tenants/alpha/certificates/rotate', body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.error, message);
    }
    const missing = await env.api('POST', '/api/clusters/butler-tenants/ghost/certificates/rotate', { type: 'all' });
    assert.equal(missing.status, 404);
    const none = await env.api('POST', '/api/clusters/butler-tenants/empty/certificates/rotate', { type: 'all' });
    assert.equal(none.status, 404);
    assert.equal(
      none.body.error,
      `no certificate Secrets of cluster "butler-tenants/empty" in namespace "${TENANT_NS}"`,
    );
    const list = (await simGet(env.sim, SECRETS)).body.items as any[];
    assert.ok(
      list.every((s) => s.metadata.annotations?.[ROTATE] === undefined),
      'nothing was marked',
    );
  });

  it('rotation of all leaf certificates marks their Secrets for Kamaji, is acknowledged, shown and audited', async () => {
    const res = await env.api('POST', '/api/clusters/butler-tenants/alpha/certificates/rotate', { type: 'all' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const expected = [
      'alpha-admin-kubeconfig',
      'alpha-api-server-certificate',
      'alpha-api-server-kubelet-client-certificate',
      'alpha-controller-manager-kubeconfig',
      'alpha-datastore-certificate',
      'alpha-front-proxy-client-certificate',
      'alpha-konnectivity-certificate',
      'alpha-scheduler-kubeconfig',
    ];
    assert.equal(res.body.type, 'all');
    assert.equal(res.body.status, 'in_progress');
    assert.equal(res.body.initiatedBy, 'admin@butler.local');
    assert.ok(Math.abs(Date.parse(res.body.initiatedAt) - Date.now()) < 60_000);
    assert.deepEqual(res.body.affectedSecrets, expected);

    const items = (await simGet(env.sim, SECRETS)).body.items as any[];
    const marked = items
      .filter((s) => s.metadata.annotations?.[ROTATE] === '')
      .map((s) => s.metadata.name)
      .sort();
    assert.deepEqual(marked, expected, 'exactly the leaf certificates of alpha; no CA, no SA keys, nothing of beta');

    const after = await env.api('GET', '/api/clusters/butler-tenants/alpha/certificates');
    assert.equal(after.body.rotationInProgress, true);
    assert.deepEqual(after.body.rotatingSecrets, expected);
    const again = await env.api('POST', '/api/clusters/butler-tenants/alpha/certificates/rotate', {
      type: 'kubeconfigs',
    });
    assert.equal(again.status, 409);
    assert.match(again.body.error, /^a certificate rotation of cluster "butler-tenants\/alpha" is in progress/);

    const kubeconfigs = await env.api('POST', '/api/clusters/butler-tenants/beta/certificates/rotate', {
      type: 'kubeconfigs',
    });
    assert.equal(kubeconfigs.status, 202, JSON.stringify(kubeconfigs.body));
    assert.deepEqual(kubeconfigs.body.affectedSecrets, [
      'beta-admin-kubeconfig',
      'beta-controller-manager-kubeconfig',
      'beta-scheduler-kubeconfig',
    ]);

    const lines = readFileSync(join(dir, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const rotations = lines.filter((l) => l.event === 'cluster.certificates.rotate');
    const line = (target: string, result: string) => rotations.find((l) => l.target === target && l.result === result);
    assert.equal(line('butler-tenants/alpha', 'success')?.user, 'admin');
    assert.equal(line('butler-tenants/alpha', 'success')?.status, 202);
    assert.ok(line('butler-tenants/beta', 'success'));
    assert.ok(line('butler-tenants/alpha', 'failure'), 'the refused second rotation is audited too');

    // The status is read back from the Secrets: in progress until Kamaji writes its renewal time on each of them.
    const url = '/api/clusters/butler-tenants/alpha/certificates/rotation-status';
    const pending = await env.api('GET', url);
    assert.equal(pending.status, 200, JSON.stringify(pending.body));
    assert.equal(pending.body.status, 'in_progress');
    assert.equal(pending.body.type, 'all');
    assert.equal(pending.body.initiatedBy, 'admin@butler.local');
    assert.equal(pending.body.initiatedAt, res.body.initiatedAt);
    assert.deepEqual(pending.body.affectedSecrets, expected);
    const renewedAt = '2026-12-07T03:00:00Z';
    for (const name of expected.slice(0, -1)) await annotate(name, renewedAt);
    assert.equal((await env.api('GET', url)).body.status, 'in_progress', 'one Secret still waits');
    await annotate(expected.at(-1)!, renewedAt);
    const done = await env.api('GET', url);
    assert.equal(done.body.status, 'completed');
    assert.equal(done.body.completedAt, renewedAt);
    assert.deepEqual(done.body.affectedSecrets, expected);
    const never = await env.api('GET', '/api/clusters/butler-tenants/empty/certificates/rotation-status');
    assert.equal(never.body.status, 'unknown');
    assert.deepEqual(never.body.affectedSecrets, []);
  });

  it('one category: its certificates only; an unknown category is a 400', async () => {
    const res = await env.api('GET', '/api/clusters/butler-tenants/alpha/certificates/kubeconfig');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.category, 'kubeconfig');
    assert.ok(res.body.certificates.length > 0);
    assert.ok(res.body.certificates.every((c: { category: string }) => c.category === 'kubeconfig'));
    const all = await env.api('GET', '/api/clusters/butler-tenants/alpha/certificates');
    assert.deepEqual(res.body.certificates, all.body.categories.kubeconfig);
    const bad = await env.api('GET', '/api/clusters/butler-tenants/alpha/certificates/bogus');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /^invalid certificate category "bogus": one of ca, /);
    const missing = await env.api('GET', '/api/clusters/butler-tenants/ghost/certificates/kubeconfig');
    assert.equal(missing.status, 404);
  });
});
