// The machine's real kubectl against the simulator (discovery, apply, get, watch, patch, label, delete).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from './index.js';

const KUBECTL = '/usr/bin/kubectl';
let sim: Simulator;
let home: string;

function kubectl(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      ['--kubeconfig', sim.kubeconfigPath, ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr }),
    );
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

async function ok(args: string[], stdin?: string): Promise<string> {
  const r = await kubectl(args, stdin);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.test
spec:
  group: example.test
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
          status:
            type: object
            properties:
              phase: {type: string}
`;

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'sim-kubectl-home-'));
  sim = await startSimulator({
    seed: [
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'node-1', labels: { role: 'worker' } },
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      },
      {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'ev1', namespace: 'default' },
        involvedObject: { kind: 'Node', name: 'node-1' },
        reason: 'Started',
        message: 'node started',
        type: 'Normal',
      },
    ],
  });
});
after(async () => {
  await sim.stop();
  rmSync(home, { recursive: true, force: true });
});

test('version, api-resources, get ns, nodes, events', async () => {
  assert.match(await ok(['version']), /Server Version: v1\.31\.0/);
  const resources = await ok(['api-resources']);
  assert.match(resources, /^pods\s+po\s+v1\s+true\s+Pod$/m);
  assert.match(
    resources,
    /^customresourcedefinitions\s+crd,crds\s+apiextensions.k8s.io\/v1\s+false\s+CustomResourceDefinition$/m,
  );
  const ns = await ok(['get', 'ns', '-o', 'name']);
  assert.deepEqual(ns.trim().split('\n'), [
    'namespace/default',
    'namespace/kube-node-lease',
    'namespace/kube-public',
    'namespace/kube-system',
  ]);
  assert.match(await ok(['get', 'nodes']), /node-1/);
  // Server-side printing: events list Last Seen, Type, Reason, Object, Message (the name is a wide column).
  assert.match(await ok(['get', 'events']), /^\S+\s+Normal\s+Started\s+node\/node-1\s+node started$/m);
  assert.match(await ok(['get', 'events', '-o', 'wide']), /\bev1$/m);
  assert.match(await ok(['get', 'events', '-o', 'json']), /"message": "node started"/);
});

test('apply a CRD and a custom resource, get -A -o json, watch, patch, label, delete', async () => {
  await ok(['apply', '-f', '-'], CRD);
  await ok(['create', 'namespace', 'team-a']);
  const cr = 'apiVersion: example.test/v1\nkind: Widget\nmetadata: {name: w1, namespace: team-a}\nspec: {size: 3}\n';
  assert.match(await ok(['apply', '-f', '-'], cr), /widget.example.test\/w1 created/);
  assert.match(await ok(['apply', '-f', '-'], cr), /widget.example.test\/w1 unchanged/);
  const bad = await kubectl(['apply', '-f', '-'], cr.replace('size: 3', 'size: 3, extra: 1'));
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unknown field "spec.extra"/);
  const all = JSON.parse(await ok(['get', 'widgets', '-A', '-o', 'json']));
  assert.equal(all.items.length, 1);
  assert.equal(all.items[0].spec.size, 3);

  const watcher = spawn(
    KUBECTL,
    ['--kubeconfig', sim.kubeconfigPath, 'get', 'wd', '-n', 'team-a', '-w', '--output-watch-events'],
    {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
    },
  );
  let out = '';
  watcher.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const waitOut = async (re: RegExp) => {
    for (let i = 0; i < 100 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, re);
  };
  try {
    await waitOut(/ADDED\s+w1/);
    await ok(['patch', 'wd', 'w1', '-n', 'team-a', '--type', 'merge', '-p', '{"spec":{"size":5}}']);
    await waitOut(/MODIFIED\s+w1/);
    await ok(['label', 'wd', 'w1', '-n', 'team-a', 'env=prod']);
    assert.match(await ok(['get', 'wd', '-n', 'team-a', '-l', 'env=prod', '-o', 'name']), /widget.example.test\/w1/);
    assert.match(await ok(['delete', 'wd', 'w1', '-n', 'team-a']), /"w1" deleted/);
    await waitOut(/DELETED\s+w1/);
  } finally {
    watcher.kill();
  }
  const gone = await kubectl(['get', 'wd', 'w1', '-n', 'team-a']);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /NotFound.*widgets.example.test "w1" not found/);
});

test('apply --dry-run=server of a deployment bundle, then apply and re-apply', async () => {
  const bundle = `apiVersion: v1
kind: Namespace
metadata: {name: butler-system}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: butler-server, namespace: butler-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: butler-server}
rules:
- apiGroups: [""]
  resources: [nodes]
  verbs: [list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: butler-server}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: butler-server}
subjects:
- {kind: ServiceAccount, name: butler-server, namespace: butler-system}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: butler-server, namespace: butler-system}
spec:
  selector: {matchLabels: {app: butler-server}}
  template:
    metadata: {labels: {app: butler-server}}
    spec:
      containers:
      - name: server
        image: butler-server:dev
        env: [{name: A, value: "1"}]
---
apiVersion: v1
kind: Service
metadata: {name: butler-server, namespace: butler-system}
spec:
  selector: {app: butler-server}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: butler-server, namespace: butler-system}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: butler-server}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: butler-server, namespace: butler-system}
spec:
  podSelector: {matchLabels: {app: butler-server}}
  policyTypes: [Ingress]
`;
  await ok(['create', 'namespace', 'butler-system']);
  const dry = await ok(['apply', '--dry-run=server', '-f', '-'], bundle);
  assert.match(dry, /deployment.apps\/butler-server created \(server dry run\)/);
  assert.equal(
    (await kubectl(['get', 'deployment', 'butler-server', '-n', 'butler-system'])).code,
    1,
    'dry run stores nothing',
  );
  await ok(['apply', '-f', '-'], bundle);
  const changed = await ok(['apply', '-f', '-'], bundle.replace('value: "1"', 'value: "2"'));
  assert.match(changed, /deployment.apps\/butler-server configured/);
  const dep = JSON.parse(await ok(['get', 'deploy', 'butler-server', '-n', 'butler-system', '-o', 'json']));
  assert.equal(dep.spec.template.spec.containers[0].env[0].value, '2');
  assert.equal(dep.metadata.generation, 2);
});
