// The machine's real kubectl against the simulator: --as / --as-group impersonation and `kubectl auth can-i`,
// decided by the stored RBAC objects as the impersonated user (User and Group subjects, system:authenticated).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from './index.js';

const KUBECTL = '/usr/bin/kubectl';
let sim: Simulator;
let home: string;
let limitedKubeconfig: string;

function kubectl(
  args: string[],
  o: { kubeconfig?: string; stdin?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      ['--kubeconfig', o.kubeconfig ?? sim.kubeconfigPath, ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr }),
    );
    if (o.stdin !== undefined) child.stdin!.end(o.stdin);
  });
}

const RBAC = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: cm-read, namespace: team-a}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs-read, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-read}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: devs}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cm-write}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [create, delete]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: jane-write, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cm-write}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: jane@example.com}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: impersonate-jane}
rules:
- {apiGroups: [""], resources: [users], verbs: [impersonate], resourceNames: [jane@example.com]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: proxy-impersonates-jane}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: impersonate-jane}
subjects:
- {kind: ServiceAccount, name: proxy, namespace: team-a}
`;

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'sim-kubectl-as-home-'));
  sim = await startSimulator({
    seed: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'proxy', namespace: 'team-a' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'team-a' } },
    ],
  });
  const applied = await kubectl(['apply', '-f', '-'], { stdin: RBAC });
  assert.equal(applied.code, 0, applied.stderr);
  limitedKubeconfig = sim.kubeconfigFor('team-a', 'proxy');
});
after(async () => {
  await sim?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

test('kubectl auth can-i answers for the impersonated user and groups', async () => {
  const canI = (args: string[]) => kubectl(['auth', 'can-i', ...args, '-n', 'team-a']);
  const reader = await canI(['list', 'configmaps', '--as', 'jane@example.com', '--as-group', 'devs']);
  assert.deepEqual([reader.code, reader.stdout.trim()], [0, 'yes']);
  const notInGroup = await canI(['list', 'configmaps', '--as', 'jane@example.com']);
  assert.deepEqual([notInGroup.code, notInGroup.stdout.trim()], [1, 'no']);
  const writer = await canI(['create', 'configmaps', '--as', 'jane@example.com']);
  assert.deepEqual([writer.code, writer.stdout.trim()], [0, 'yes']);
  const other = await canI(['create', 'configmaps', '--as', 'joe@example.com', '--as-group', 'devs']);
  assert.deepEqual([other.code, other.stdout.trim()], [1, 'no']);
  const admin = await canI(['delete', 'nodes']);
  assert.deepEqual([admin.code, admin.stdout.trim()], [0, 'yes']);
});

test('kubectl --as is refused with the server message when RBAC does not allow the impersonated user', async () => {
  const ok = await kubectl(['get', 'configmaps', '-n', 'team-a', '--as', 'jane@example.com', '--as-group', 'devs']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^settings\s/m);
  const denied = await kubectl(['delete', 'configmap', 'settings', '-n', 'team-a', '--as', 'joe@example.com']);
  assert.notEqual(denied.code, 0);
  assert.match(
    denied.stderr,
    /configmaps "settings" is forbidden: User "joe@example.com" cannot delete resource "configmaps" in API group "" in the namespace "team-a"/,
  );
});

test('a caller needs the impersonate verb: only the users its RBAC names', async () => {
  const allowed = await kubectl(['auth', 'can-i', 'create', 'configmaps', '-n', 'team-a', '--as', 'jane@example.com'], {
    kubeconfig: limitedKubeconfig,
  });
  assert.deepEqual([allowed.code, allowed.stdout.trim()], [0, 'yes']);
  const refused = await kubectl(['get', 'configmaps', '-n', 'team-a', '--as', 'joe@example.com'], {
    kubeconfig: limitedKubeconfig,
  });
  assert.notEqual(refused.code, 0);
  assert.match(
    refused.stderr,
    /users "joe@example.com" is forbidden: User "system:serviceaccount:team-a:proxy" cannot impersonate resource "users" in API group "" at the cluster scope/,
  );
  const group = await kubectl(['get', 'configmaps', '-n', 'team-a', '--as', 'jane@example.com', '--as-group', 'devs'], {
    kubeconfig: limitedKubeconfig,
  });
  assert.notEqual(group.code, 0);
  assert.match(group.stderr, /groups "devs" is forbidden: .* cannot impersonate resource "groups"/);
});
