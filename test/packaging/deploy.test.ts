// deploy/ renders with kustomize, is accepted by `kubectl apply --dry-run=server` against the simulator, and
// says what docs/api.md requires: exactly the §9.5 grants, a hardened Deployment, the Go server's env names.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startButlerSimulator } from '../helpers/sim.js';
import type { Simulator } from '../../sim/index.js';
import { gitRevision } from '../../src/config/version.js';
import { kubectl, renderKustomization, type ManifestObject } from './render.js';

let sim: Simulator;
let objects: ManifestObject[];
let text: string;
const renderPath = join(tmpdir(), `butler-deploy-render-${process.pid}.yaml`);

before(async () => {
  ({ objects, text } = await renderKustomization('deploy/'));
  writeFileSync(renderPath, text);
  sim = await startButlerSimulator();
});
after(async () => {
  await sim?.stop();
  rmSync(renderPath, { force: true });
});

const find = (kind: string, name = 'butler-server') => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `rendered ${kind} ${name}`);
  return o as any;
};

describe('kustomize render', () => {
  test('contains every object the base promises, in the system namespace', () => {
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(kinds, [
      'ClusterRole/butler-api-users',
      'ClusterRole/butler-server',
      'ClusterRole/butler-terminal',
      'ClusterRoleBinding/butler-api-users',
      'ClusterRoleBinding/butler-server',
      'ClusterRoleBinding/butler-terminal',
      'Deployment/butler-server',
      'Namespace/butler-system',
      'NetworkPolicy/butler-server',
      'PodDisruptionBudget/butler-server',
      'Role/butler-server-provider-credentials',
      'Role/butler-server-revocations',
      'Role/butler-server-sso-secrets',
      'Role/butler-server-terminal-pods',
      'RoleBinding/butler-server-provider-credentials',
      'RoleBinding/butler-server-revocations',
      'RoleBinding/butler-server-sso-secrets',
      'RoleBinding/butler-server-terminal-pods',
      'Service/butler-server',
      'ServiceAccount/butler-server',
      'ServiceAccount/butler-terminal',
    ]);
    for (const o of objects) {
      if (['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind)) continue;
      assert.equal(o.metadata.namespace, 'butler-system', `${o.kind} ${o.metadata.name}`);
    }
    const crb = find('ClusterRoleBinding');
    assert.deepEqual(crb.subjects, [{ kind: 'ServiceAccount', name: 'butler-server', namespace: 'butler-system' }]);
  });

  test('the ClusterRole and Roles are docs/api.md §9.5 (plus watch on providerconfigs)', () => {
    const norm = (rules: any[]) =>
      rules
        .flatMap((r) =>
          (r.resources as string[]).flatMap((res) =>
            (r.verbs as string[]).map((v) => `${r.apiGroups.join(',')}|${res}|${v}`),
          ),
        )
        .sort();
    const B = 'butler.butlerlabs.dev';
    const expected = (rows: [string, string[], string[]][]) =>
      rows.flatMap(([g, rs, vs]) => rs.flatMap((r) => vs.map((v) => `${g}|${r}|${v}`))).sort();
    assert.deepEqual(
      norm(find('ClusterRole').rules),
      expected([
        // writes a user asks for (clusters, addons, providers, teams) are sent as the user: butler-api-users
        [B, ['tenantclusters'], ['get', 'list', 'watch']],
        [B, ['machinerequests', 'loadbalancerrequests'], ['list']],
        ['kamaji.clastix.io', ['tenantcontrolplanes'], ['get']],
        // watch: beyond §9.5, for the API's ProviderConfig watch cache (see deploy/base/clusterrole.yaml)
        [B, ['providerconfigs'], ['get', 'list', 'watch']],
        [B, ['providerconfigs/status'], ['patch']],
        [B, ['tenantaddons'], ['list']],
        [B, ['managementaddons'], ['get', 'list']],
        // users and teams (identity caches, invites, accounts, login bookkeeping)
        [B, ['teams'], ['list', 'watch']],
        [B, ['users'], ['list', 'watch', 'create', 'patch', 'delete']],
        [B, ['identityproviders'], ['list', 'watch']],
        [B, ['users/status'], ['patch']],
        [B, ['addondefinitions'], ['get', 'list']],
        [B, ['butlerconfigs'], ['get']],
        [B, ['networkpools'], ['get', 'list']],
        [B, ['ipallocations'], ['list']],
        ['', ['secrets'], ['get', 'list']],
        ['', ['nodes'], ['list']],
        ['', ['pods'], ['list', 'get']],
        ['', ['events'], ['list']],
        ['', ['pods/exec'], ['get', 'create']],
        ['', ['users', 'groups'], ['impersonate']],
      ]),
    );
    // impersonation: any user, but only the two groups butler-server puts users in
    const impersonation = find('ClusterRole').rules.filter((r: any) => r.verbs.includes('impersonate'));
    assert.deepEqual(
      impersonation.map((r: any) => [r.resources, r.resourceNames]),
      [
        [['users'], undefined],
        [['groups'], ['butler-api-users', 'system:authenticated']],
      ],
    );
    assert.deepEqual(
      norm(find('Role', 'butler-server-revocations').rules),
      // no get: §9.5 lists it, but the server never reads a single marker (test/rbac proves every verb is used)
      expected([['', ['configmaps'], ['list', 'watch', 'create', 'delete']]]),
    );
    assert.deepEqual(
      norm(find('Role', 'butler-server-provider-credentials').rules),
      expected([['', ['secrets'], ['create', 'delete']]]),
    );
    assert.deepEqual(norm(find('Role', 'butler-server-sso-secrets').rules), expected([['', ['secrets'], ['update']]]));
    assert.deepEqual(
      norm(find('Role', 'butler-server-terminal-pods').rules),
      expected([
        ['', ['pods'], ['create', 'delete', 'watch', 'patch']],
        ['', ['pods/attach'], ['get', 'create']],
      ]),
    );
    // The management shells' identity: its own binding, read-only, no token mounted anywhere by default.
    const terminal = find('ClusterRoleBinding', 'butler-terminal');
    assert.deepEqual(terminal.subjects, [
      { kind: 'ServiceAccount', name: 'butler-terminal', namespace: 'butler-system' },
    ]);
    assert.equal(find('ServiceAccount', 'butler-terminal').automountServiceAccountToken, false);
    const terminalVerbs = (find('ClusterRole', 'butler-terminal').rules as any[]).flatMap((r) => r.verbs);
    assert.deepEqual([...new Set(terminalVerbs)].sort(), ['get', 'list', 'watch'], 'read-only by default');
    assert.ok(!(find('ClusterRole', 'butler-terminal').rules as any[]).some((r) => r.resources.includes('secrets')));
    for (const rb of [
      'butler-server-revocations',
      'butler-server-provider-credentials',
      'butler-server-sso-secrets',
      'butler-server-terminal-pods',
    ]) {
      const b = find('RoleBinding', rb);
      assert.deepEqual(b.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: rb });
      assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: 'butler-server', namespace: 'butler-system' }]);
    }
  });

  test('impersonated users get the ClusterRole butler-api-users through their group', () => {
    const role = find('ClusterRole', 'butler-api-users');
    const B = 'butler.butlerlabs.dev';
    // narrow: exactly the writes made on a user's behalf (test/rbac proves each verb is used)
    assert.deepEqual(role.rules, [
      { apiGroups: [B], resources: ['tenantclusters'], verbs: ['list', 'create', 'patch', 'update', 'delete'] },
      { apiGroups: [B], resources: ['tenantaddons', 'managementaddons'], verbs: ['get', 'create', 'update', 'delete'] },
      { apiGroups: [B], resources: ['providerconfigs'], verbs: ['create', 'delete'] },
      { apiGroups: [B], resources: ['teams'], verbs: ['get', 'create', 'update', 'delete'] },
      { apiGroups: [B], resources: ['identityproviders'], verbs: ['get', 'list', 'create', 'update', 'delete'] },
      { apiGroups: [B], resources: ['butlerconfigs'], verbs: ['update'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['patch'] },
    ]);
    const binding = find('ClusterRoleBinding', 'butler-api-users');
    assert.deepEqual(binding.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'butler-api-users',
    });
    assert.deepEqual(binding.subjects, [
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'butler-api-users' },
    ]);
  });

  test('the Deployment is hardened, probed, and uses the Go server env and Secret names', () => {
    const d = find('Deployment');
    const pod = d.spec.template.spec;
    assert.equal(pod.serviceAccountName, 'butler-server');
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    const [c] = pod.containers;
    assert.deepEqual(c.args, ['-addr', ':8080']);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
    assert.equal(c.livenessProbe.httpGet.path, '/healthz');
    assert.equal(c.readinessProbe.httpGet.path, '/readyz');
    assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
    const tmp = c.volumeMounts.find((m: any) => m.mountPath === '/tmp');
    assert.ok(tmp, '/tmp is mounted');
    assert.ok(pod.volumes.find((v: any) => v.name === tmp.name).emptyDir, '/tmp is an emptyDir');
    const fromSecret = Object.fromEntries(
      c.env.filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => [e.name, e.valueFrom.secretKeyRef.name]),
    );
    assert.deepEqual(fromSecret, {
      BUTLER_JWT_SECRET: 'butler-server',
      BUTLER_ADMIN_USERNAME: 'butler-server',
      BUTLER_ADMIN_PASSWORD: 'butler-server',
    });
    const port = (name: string) => c.ports.find((p: any) => p.name === name).containerPort;
    assert.equal(port('http'), 8080);
    assert.equal(c.env.find((e: any) => e.name === 'BUTLER_METRICS_ADDR').value, `:${port('metrics')}`);
    const auditDir = c.env.find((e: any) => e.name === 'BUTLER_AUDIT_DIR').value;
    const auditMount = c.volumeMounts.find((m: any) => m.mountPath === auditDir);
    assert.ok(pod.volumes.find((v: any) => v.name === auditMount.name).emptyDir, 'the audit store is on a volume');
    // The Service, PDB and NetworkPolicy select the Deployment's pods.
    const labels = d.spec.template.metadata.labels;
    for (const sel of [
      find('Service').spec.selector,
      find('PodDisruptionBudget').spec.selector.matchLabels,
      find('NetworkPolicy').spec.podSelector.matchLabels,
    ]) {
      for (const [k, v] of Object.entries(sel)) assert.equal(labels[k], v);
    }
  });
});

describe('against the simulator', () => {
  test('kubectl apply --dry-run=server accepts the render and stores nothing', async () => {
    const r = await kubectl(['--kubeconfig', sim.kubeconfigPath, 'apply', '--dry-run=server', '-f', renderPath]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, objects.length, r.stdout);
    assert.match(r.stdout, /clusterrole\.rbac\.authorization\.k8s\.io\/butler-server created \(server dry run\)/);
    const get = await kubectl(['--kubeconfig', sim.kubeconfigPath, 'get', 'clusterroles', '-o', 'name']);
    assert.equal(get.code, 0, get.stderr);
    assert.doesNotMatch(get.stdout, /butler-server/);
  });

  test('the ingress overlay renders and is accepted too', async () => {
    const overlay = await renderKustomization('deploy/overlays/ingress');
    const ing = overlay.objects.find((o) => o.kind === 'Ingress') as any;
    assert.equal(ing.spec.rules[0].http.paths[0].backend.service.name, 'butler-server');
    const env = (overlay.objects.find((o) => o.kind === 'Deployment') as any).spec.template.spec.containers[0].env;
    assert.ok(env.some((e: any) => e.name === 'BUTLER_TRUST_PROXY' && e.value === 'true'));
    assert.ok(env.some((e: any) => e.name === 'BUTLER_PUBLIC_URL' && /^https:\/\//.test(e.value)));
    // Every Ingress names its class, and the body limit lets the proxy's own limit (3MiB by default) through.
    const ingresses = overlay.objects.filter((o) => o.kind === 'Ingress') as any[];
    const mib = (v: string) => Number(/^(\d+)m$/.exec(v)?.[1] ?? NaN);
    for (const i of ingresses) assert.equal(typeof i.spec.ingressClassName, 'string', i.metadata.name);
    assert.ok(mib(ing.metadata.annotations['nginx.ingress.kubernetes.io/proxy-body-size']) >= 3);
    // Terminals reattach on any replica (shell pods): one Ingress serves /ws/terminal/ too, no affinity anywhere.
    assert.deepEqual(
      ingresses.map((i) => i.metadata.name),
      ['butler-server'],
    );
    assert.deepEqual(
      ing.spec.rules[0].http.paths.map((p: any) => p.path),
      ['/'],
    );
    for (const i of ingresses) {
      const affinity = Object.keys(i.metadata.annotations ?? {}).filter((k) => /affinity|session-cookie/.test(k));
      assert.deepEqual(affinity, [], i.metadata.name);
    }
    const r = await kubectl(['--kubeconfig', sim.kubeconfigPath, 'apply', '--dry-run=server', '-f', '-'], overlay.text);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ingress\.networking\.k8s\.io\/butler-server created \(server dry run\)/);
  });
});

describe('image and Makefile', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  test("deploy/ and the overlay run this project's image, not the Go server's", async () => {
    for (const dir of ['deploy/', 'deploy/overlays/ingress']) {
      const rendered = await renderKustomization(dir);
      const images = rendered.objects
        .filter((o) => o.kind === 'Deployment')
        .flatMap((o: any) => o.spec.template.spec.containers.map((c: any) => c.image));
      assert.deepEqual(images, ['ghcr.io/butlerlabs/butler-server-ts:latest'], dir);
      assert.doesNotMatch(rendered.text, /butlerdotdev\/butler-server:/);
    }
  });

  test('the image build stamps the git revision that --version prints', () => {
    assert.match(dockerfile, /^ARG GIT_REVISION=unknown$/m);
    assert.match(dockerfile, /> \/app\/REVISION$/m);
    assert.match(dockerfile, /org\.opencontainers\.image\.revision="\$\{GIT_REVISION\}"/);
    const dry = execFileSync('make', ['-n', 'docker-build', 'KUBECTL_SHA256=0'], { encoding: 'utf8', timeout: 10_000 });
    assert.match(dry, /--build-arg GIT_REVISION=([0-9a-f]{7,40}|unknown) /);
    // The runtime's package root is /app (package.json beside dist/): a REVISION file there wins over git.
    const root = mkdtempSync(join(tmpdir(), 'butler-revision-'));
    try {
      writeFileSync(join(root, 'REVISION'), '0123456789ab\n');
      assert.equal(gitRevision(root), '0123456789ab');
      writeFileSync(join(root, 'REVISION'), 'not a revision\n');
      assert.equal(gitRevision(root), 'unknown', 'a directory that is neither stamped nor a git checkout');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('Dockerfile: LTS slim base, numeric non-root user, verified kubectl, console stage, no HEALTHCHECK', () => {
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:(20|22)-\w+-slim$/m);
    const users = [...dockerfile.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
    assert.deepEqual(users, ['10001:10001']);
    assert.match(dockerfile, /sha256sum -c -/);
    assert.match(dockerfile, /^ARG KUBECTL_VERSION=v\d+\.\d+\.\d+$/m);
    assert.match(dockerfile, /^FROM scratch AS console$/m);
    assert.match(dockerfile, /^COPY --from=console \/ \.\/console\/$/m);
    assert.doesNotMatch(dockerfile, /^HEALTHCHECK/m);
    // Every file the build stage copies exists in the build context (and is not excluded by .dockerignore).
    const ignored = readFileSync('.dockerignore', 'utf8');
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1]!.split(/\s+/)) {
        assert.ok(existsSync(src), `${src} exists`);
        assert.ok(!new RegExp(`^${src.replace(/\/$/, '')}$`, 'm').test(ignored), `${src} is not ignored`);
      }
    }
  });

  test('the production build and the image hold no simulator, demo, test or benchmark code', () => {
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    for (const dir of ['sim', 'demo', 'test', 'bench']) assert.ok(!copied.includes(dir), `Dockerfile copies ${dir}`);
    // The build compiles src/ only (tests excluded); dependency-cruiser (npm run lint) keeps src/ from importing the rest.
    const build = JSON.parse(readFileSync('tsconfig.build.json', 'utf8')) as { include: string[]; exclude: string[] };
    assert.deepEqual(build.include, ['src']);
    assert.ok(build.exclude.includes('**/*.test.ts'));
    const rules = JSON.parse(readFileSync('.dependency-cruiser.json', 'utf8')) as { forbidden: { name: string }[] };
    assert.ok(rules.forbidden.some((r) => r.name === 'production-stays-production'));
  });

  test('Makefile targets are thin wrappers over npm scripts', () => {
    const dry = (target: string) =>
      execFileSync('make', ['-n', target, 'KUBECTL_SHA256=0'], { encoding: 'utf8', timeout: 10_000 });
    assert.match(dry('test'), /^npm test$/m);
    assert.match(dry('build'), /^npm run build$/m);
    assert.match(dry('run'), /^npm start --/m);
    assert.match(dry('build-all'), /npm run build/);
    assert.match(dry('docker-build'), /build --build-arg KUBECTL_VERSION=v\d/);
    assert.match(dry('docker-build-all'), /--build-context console=/);
  });
});
