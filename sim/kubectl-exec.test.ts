// Pod exec through the real simulator with the machine's real kubectl (v1.32, WebSocket v5).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startSimulator, type Simulator } from './index.js';
import { alive, runCommand, runInTerminal, waitUntil, type CommandResult } from './test-process.js';

const KUBECTL = '/usr/bin/kubectl';
const NS = 'exec-kubectl';

let sim: Simulator;
let home: string;

before(async () => {
  sim = await startSimulator();
  home = mkdtempSync(join(tmpdir(), 'kubectl-exec-home-'));
  const kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await core.createNamespacedPod({
    namespace: NS,
    body: { metadata: { name: 'shell' }, spec: { containers: [{ name: 'main', image: 'busybox' }] } },
  });
  await core.createNamespacedPod({
    namespace: NS,
    body: {
      metadata: { name: 'duo', annotations: { 'kubectl.kubernetes.io/default-container': 'second' } },
      spec: {
        containers: [
          { name: 'first', image: 'busybox' },
          { name: 'second', image: 'busybox' },
        ],
      },
    },
  });
});

after(async () => {
  await sim?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

const kubectlEnv = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home });
const kubectlArgs = (...args: string[]) => ['--kubeconfig', sim.kubeconfigPath, '-n', NS, ...args];

function kubectl(args: string[], input = '', timeoutMs = 20000): Promise<CommandResult> {
  return runCommand(KUBECTL, kubectlArgs(...args), { env: kubectlEnv(), input, timeoutMs });
}

describe('kubectl exec against the simulator', { skip: !existsSync(KUBECTL) && 'no /usr/bin/kubectl' }, () => {
  test("exec -i -- sh -c 'echo hi; exit 3' prints hi and exits 3", async () => {
    const r = await kubectl(['exec', '-i', 'shell', '--', 'sh', '-c', 'echo hi; exit 3']);
    assert.equal(r.stdout, 'hi\n');
    assert.equal(r.code, 3, r.stderr);
  });

  test('exec -i forwards stdin until EOF, keeps stderr apart, exits 0', async () => {
    const r = await kubectl(['exec', '-i', 'shell', '--', 'sh', '-c', 'cat; echo err >&2'], 'from stdin\n');
    assert.equal(r.stdout, 'from stdin\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.code, 0);
  });

  test('a missing executable is an error and a non-zero exit', async () => {
    const r = await kubectl(['exec', 'shell', '--', 'no-such-binary']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /executable file not found in \$PATH/);
  });

  test('an unknown container is refused', async () => {
    const r = await kubectl(['exec', 'shell', '-c', 'nope', '--', 'true']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /container nope is not valid for pod shell/);
  });

  test('kubectl picks the default-container annotation of a pod with several containers', async () => {
    const r = await kubectl(['exec', 'duo', '--', 'sh', '-c', 'pwd; echo $HOSTNAME']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`/${NS}/duo/second\\n`));
    assert.match(r.stdout, /\nduo\n$/);
  });

  test('exec -it from a real terminal: initial size, resize, exit', async () => {
    const { term, screen, exited } = runInTerminal(KUBECTL, kubectlArgs('exec', '-it', 'shell', '--', 'sh'), {
      cols: 91,
      rows: 27,
      cwd: home,
      env: kubectlEnv(),
    });
    try {
      await waitUntil(() => /[#$] $/.test(screen()), 'the shell prompt', 10_000);
      term.write('stty size\r');
      await waitUntil(() => /\b27 91\r\n/.test(screen()), 'the initial size 27 91', 10_000);
      term.resize(120, 40);
      // kubectl forwards SIGWINCH asynchronously; ask until the new size shows (bounded).
      for (let i = 0; i < 20 && !/\b40 120\r\n/.test(screen()); i++) {
        term.write('stty size\r');
        await new Promise((r) => setTimeout(r, 150));
      }
      assert.match(screen(), /\b40 120\r\n/);
      term.write('exit\r');
      assert.equal(await exited, 0);
    } finally {
      term.kill('SIGKILL');
    }
  });

  test('killing kubectl ends the remote process', async () => {
    const child = spawn(KUBECTL, kubectlArgs('exec', 'shell', '--', 'sh', '-c', 'echo $$; exec sleep 300'), {
      env: kubectlEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const closed = new Promise((r) => child.once('close', r));
    try {
      await waitUntil(() => /^\d+\n/.test(out), 'the remote pid', 10_000);
      const pid = Number(out.trim());
      assert.ok(alive(pid));
      child.kill('SIGKILL');
      await closed;
      await waitUntil(() => !alive(pid), 'the remote process to end', 10_000);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
