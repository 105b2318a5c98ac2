// Pod exec through the real simulator with the official @kubernetes/client-node 1.4 `Exec`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { CoreV1Api, Exec, KubeConfig, type V1Status } from '@kubernetes/client-node';
import { startSimulator, type Simulator } from './index.js';

const NS = 'exec-cn';
const POD = 'shell';

let sim: Simulator;
let kc: KubeConfig;

before(async () => {
  sim = await startSimulator();
  kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await core.createNamespacedPod({
    namespace: NS,
    body: { metadata: { name: POD }, spec: { containers: [{ name: 'main', image: 'busybox' }] } },
  });
});

after(async () => {
  await sim?.stop();
});

class Collector extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

/** A stdout stream that client-node treats as a terminal: it has rows/columns and emits 'resize'. */
class TerminalOut extends Collector {
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
}

async function waitFor(get: () => string, pattern: RegExp, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pattern.test(get())) return get();
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`never matched ${pattern}: ${JSON.stringify(get())}`);
}

describe('client-node Exec against the simulator', () => {
  test('non-tty: stdout and stderr apart, Failure status with the exit code', async () => {
    const stdout = new Collector();
    const stderr = new Collector();
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(kc)
        .exec(NS, POD, 'main', ['sh', '-c', 'echo hi; echo err >&2; exit 3'], stdout, stderr, null, false, resolve)
        .catch(reject);
    });
    assert.equal(stdout.text, 'hi\n');
    assert.equal(stderr.text, 'err\n');
    assert.equal(status.status, 'Failure');
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details?.causes, [{ reason: 'ExitCode', message: '3' }]);
  });

  test('stdin is forwarded and its end closes the process input (v5 close channel)', async () => {
    const stdout = new Collector();
    const stdin = new PassThrough();
    const statusP = new Promise<V1Status>((resolve, reject) => {
      new Exec(kc)
        .exec(NS, POD, 'main', ['sh', '-c', 'cat; echo eof'], stdout, null, stdin, false, resolve)
        .then((ws) => assert.equal(ws.protocol, 'v5.channel.k8s.io'))
        .catch(reject);
    });
    stdin.write('line one\n');
    await waitFor(() => stdout.text, /line one\n/);
    stdin.end('last\n');
    const status = await statusP;
    assert.equal(stdout.text, 'line one\nlast\neof\n');
    assert.equal(status.status, 'Success');
  });

  test('tty: initial size from the terminal, resize, exit ends with Success', async () => {
    const stdout = new TerminalOut(90, 25);
    const stdin = new PassThrough();
    const statusP = new Promise<V1Status>((resolve, reject) => {
      new Exec(kc).exec(NS, POD, 'main', ['sh'], stdout, null, stdin, true, resolve).catch(reject);
    });
    // The client sends its size right after connecting; the prompt shows the shell is reading input.
    await waitFor(() => stdout.text, /[#$] $/);
    stdin.write('stty size\n');
    await waitFor(() => stdout.text, /\b25 90\r\n/);
    stdout.columns = 132;
    stdout.rows = 43;
    stdout.emit('resize');
    stdin.write('stty size\n');
    await waitFor(() => stdout.text, /\b43 132\r\n/);
    stdin.write('exit\n');
    const status = await statusP;
    assert.equal(status.status, 'Success');
  });
});
