// Pod exec through the real simulator, driven by raw `ws` clients speaking the channel framing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { createExecHandler } from './exec.js';
import { startSimulator, type Simulator } from './index.js';
import { alive, waitUntil } from './test-process.js';

const pods: Record<string, any> = {
  one: { metadata: { name: 'one', namespace: 'ns1' }, spec: { containers: [{ name: 'main', image: 'busybox' }] } },
  two: {
    metadata: { name: 'two', namespace: 'ns1' },
    spec: {
      containers: [
        { name: 'a', image: 'busybox' },
        { name: 'b', image: 'busybox' },
      ],
      initContainers: [{ name: 'init', image: 'busybox' }],
    },
  },
};

let sim: Simulator;
let base: string;
let auth: { Authorization: string };
let scratch: string;

async function create(path: string, body: object): Promise<void> {
  const res = await fetch(sim.url + path, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 201, await res.text());
}

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'exec-test-'));
  sim = await startSimulator();
  auth = { Authorization: `Bearer ${sim.token}` };
  base = sim.url.replace(/^http/, 'ws');
  await create('/api/v1/namespaces', { metadata: { name: 'ns1' } });
  for (const pod of Object.values(pods)) await create('/api/v1/namespaces/ns1/pods', pod);
});

after(async () => {
  await sim?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function execPath(pod: string, params: Record<string, string | string[]>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of [v].flat()) q.append(k, x);
  return `/api/v1/namespaces/ns1/pods/${pod}/exec?${q}`;
}

interface Frame {
  channel: number;
  data: Buffer;
}

/** A raw exec client: records every frame and the close code. */
class RawExec {
  readonly frames: Frame[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(path: string, protocols: string[]) {
    this.ws = new WebSocket(base + path, protocols, { headers: auth });
    this.ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) this.frames.push({ channel: data[0]!, data: data.subarray(1) });
      else {
        const text = data.toString('latin1');
        this.frames.push({ channel: text.charCodeAt(0) - 48, data: Buffer.from(text.slice(1), 'base64') });
      }
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code) => resolve(code)));
  }

  text(channel: number): string {
    return Buffer.concat(this.frames.filter((f) => f.channel === channel).map((f) => f.data)).toString('utf8');
  }

  send(channel: number, data: string | Buffer): void {
    this.ws.send(Buffer.concat([Buffer.of(channel), Buffer.from(data)]));
  }

  /** Waits (bounded) until the text on a channel matches. */
  async waitFor(channel: number, pattern: RegExp, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const t = this.text(channel);
      if (pattern.test(t)) return t;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail(`channel ${channel} never matched ${pattern}: ${JSON.stringify(this.text(channel))}`);
  }
}

function rawUpgrade(path: string, protocols?: string): Promise<{ status: number; body: string; headers: any }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      ...auth,
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': Buffer.from('0123456789abcdef').toString('base64'),
    };
    if (protocols !== undefined) headers['Sec-WebSocket-Protocol'] = protocols;
    const req = request(base.replace('ws:', 'http:') + path, { headers });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '', headers: res.headers });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('exec over raw WebSocket', () => {
  test('v4 non-tty: stdout, stderr, initial empty frame, NonZeroExitCode status, normal close', async () => {
    const c = new RawExec(
      execPath('one', {
        command: ['sh', '-c', 'echo hi; echo err >&2; exit 3'],
        stdout: 'true',
        stderr: 'true',
      }),
      ['v4.channel.k8s.io'],
    );
    await c.opened;
    assert.equal(c.ws.protocol, 'v4.channel.k8s.io');
    assert.equal(await c.closed, 1000);
    assert.deepEqual(c.frames[0], { channel: 1, data: Buffer.alloc(0) });
    assert.equal(c.text(1), 'hi\n');
    assert.equal(c.text(2), 'err\n');
    const last = c.frames.at(-1)!;
    assert.equal(last.channel, 3);
    assert.deepEqual(JSON.parse(last.data.toString()), {
      metadata: {},
      status: 'Failure',
      message:
        'command terminated with non-zero exit code: error executing command [sh -c echo hi; echo err >&2; exit 3], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  test('v5 is preferred, stdin is piped and closed with channel 255, Success status', async () => {
    const c = new RawExec(
      execPath('one', { command: ['sh', '-c', 'read x; echo "got:$x"; cat; echo done'], stdin: '1', stdout: '1' }),
      ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io'],
    );
    await c.opened;
    assert.equal(c.ws.protocol, 'v5.channel.k8s.io');
    c.send(0, 'hello ');
    c.send(0, 'world\nmore\n');
    await c.waitFor(1, /got:hello world\nmore\n/);
    assert.equal(c.text(1).includes('done'), false, 'the process must still wait for stdin');
    c.ws.send(Buffer.of(255, 0));
    assert.equal(await c.closed, 1000);
    assert.equal(c.text(1), 'got:hello world\nmore\ndone\n');
    assert.equal(c.text(3), '{"metadata":{},"status":"Success"}');
  });

  test('v5 exit status message is the one the API server stream translator sends', async () => {
    const c = new RawExec(execPath('one', { command: ['sh', '-c', 'exit 7'], stdout: '1' }), ['v5.channel.k8s.io']);
    assert.equal(await c.closed, 1000);
    const status = JSON.parse(c.text(3));
    assert.equal(status.message, 'command terminated with non-zero exit code: command terminated with exit code 7');
    assert.deepEqual(status.details, { causes: [{ reason: 'ExitCode', message: '7' }] });
  });

  test('tty: starts at 80x24, resize on channel 4 (either key case), TERM=xterm, minimal environment', async () => {
    process.env.EXEC_TEST_SECRET = 'must-not-leak';
    const c = new RawExec(execPath('one', { command: ['sh'], stdin: 'true', stdout: 'true', tty: 'true' }), [
      'v4.channel.k8s.io',
    ]);
    await c.opened;
    c.send(0, 'stty size\n');
    await c.waitFor(1, /\b24 80\r\n/);
    c.send(4, '{"Width":100,"Height":30}');
    c.send(0, 'stty size\n');
    await c.waitFor(1, /\b30 100\r\n/);
    c.send(4, '{"width":120,"height":40}\n');
    c.send(0, 'stty size; env | sort | tr "\\n" " "; echo; pwd\n');
    const out = await c.waitFor(1, /\b40 120\r\n[\s\S]*\/ns1\/one\/main\r\n/);
    assert.match(out, /TERM=xterm /);
    assert.match(out, /HOSTNAME=one /);
    assert.match(out, /LANG=C\.UTF-8 /);
    assert.doesNotMatch(out, /EXEC_TEST_SECRET/);
    c.send(0, 'exit\n');
    assert.equal(await c.closed, 1000);
    assert.equal(c.text(2), '');
    assert.equal(c.text(3), '{"metadata":{},"status":"Success"}');
    delete process.env.EXEC_TEST_SECRET;
  });

  test('scratch directory is per pod and container, mode 0700, and HOME', async () => {
    const c = new RawExec(execPath('one', { command: ['sh', '-c', 'pwd; echo $HOME'], stdout: '1' }), [
      'v5.channel.k8s.io',
    ]);
    assert.equal(await c.closed, 1000);
    const [dir, home] = c.text(1).trim().split('\n') as [string, string];
    assert.match(dir, /\/ns1\/one\/main$/);
    assert.equal(home, dir);
    const st = statSync(dir);
    assert.ok(st.isDirectory());
    assert.equal(st.mode & 0o777, 0o700);
  });

  test('base64 protocol frames are text: channel digit + base64', async () => {
    const c = new RawExec(execPath('one', { command: ['echo', 'b64'], stdout: 'true' }), ['v4.base64.channel.k8s.io']);
    await c.opened;
    assert.equal(await c.closed, 1000);
    assert.equal(c.text(1), 'b64\n');
    assert.equal(JSON.parse(c.text(3)).status, 'Success');
  });

  test('pre-v4 channel.k8s.io: failure is plain text on channel 3, success sends nothing', async () => {
    const fail = new RawExec(execPath('one', { command: ['false'], stdout: 'true' }), ['channel.k8s.io']);
    assert.equal(await fail.closed, 1000);
    assert.equal(
      fail.text(3),
      'command terminated with non-zero exit code: error executing command [false], exit code 1',
    );
    const ok = new RawExec(execPath('one', { command: ['true'], stdout: 'true' }), []);
    await ok.opened;
    assert.equal(ok.ws.protocol, '');
    assert.equal(await ok.closed, 1000);
    assert.equal(ok.frames.filter((f) => f.channel === 3).length, 0);
  });

  test('a command that cannot be started ends with an InternalError status', async () => {
    const c = new RawExec(execPath('one', { command: ['no-such-command-xyz'], stdout: 'true' }), ['v4.channel.k8s.io']);
    assert.equal(await c.closed, 1000);
    const status = JSON.parse(c.text(3));
    assert.equal(status.status, 'Failure');
    assert.equal(status.reason, 'InternalError');
    assert.equal(status.code, 500);
    assert.match(
      status.message,
      /^Internal error occurred: error executing command in container: .*exec: "no-such-command-xyz": executable file not found in \$PATH/,
    );
  });

  test('a command with a NUL byte fails like any command that cannot start, and the server lives on', async () => {
    const c = new RawExec(execPath('one', { command: ['sh', '-c', 'echo a\0b'], stdout: '1' }), ['v5.channel.k8s.io']);
    assert.equal(await c.closed, 1000);
    assert.equal(JSON.parse(c.text(3)).reason, 'InternalError');
    const again = new RawExec(execPath('one', { command: ['true'], stdout: '1' }), ['v5.channel.k8s.io']);
    assert.equal(await again.closed, 1000);
    assert.equal(again.text(3), '{"metadata":{},"status":"Success"}');
  });

  test('stdin backpressure: the server stops reading while the process does not consume its input', async () => {
    const c = new RawExec(
      execPath('one', { command: ['sh', '-c', 'echo $$; exec sleep 300'], stdin: '1', stdout: '1' }),
      ['v5.channel.k8s.io'],
    );
    const pid = Number((await c.waitFor(1, /^\d+\n/)).trim());
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 32; i++) c.send(0, chunk);
    await new Promise((r) => setTimeout(r, 1000));
    // Without backpressure the server would have swallowed all 32 MiB into memory by now.
    assert.ok(c.ws.bufferedAmount > 8 * 1024 * 1024, `client still holds ${c.ws.bufferedAmount} bytes`);
    c.ws.terminate();
    await waitUntil(() => !alive(pid), 'the process to be killed although its input is backed up');
  });

  test('closing the client kills the process group', async () => {
    const c = new RawExec(execPath('one', { command: ['sh', '-c', 'sleep 300 & echo $$ $!; wait'], stdout: 'true' }), [
      'v5.channel.k8s.io',
    ]);
    const out = await c.waitFor(1, /^\d+ \d+\n/);
    const [shell, sleeper] = out.trim().split(' ').map(Number) as [number, number];
    assert.ok(alive(shell) && alive(sleeper));
    c.ws.close();
    await waitUntil(() => !alive(shell) && !alive(sleeper), 'the exec processes to die');
  });

  test('a process ignoring SIGHUP is killed after the grace period', async () => {
    const c = new RawExec(
      execPath('one', { command: ['sh', '-c', 'trap "" HUP; echo $$; while :; do sleep 1; done'], stdout: 'true' }),
      ['v5.channel.k8s.io'],
    );
    const pid = Number((await c.waitFor(1, /^\d+\n/)).trim());
    c.ws.terminate();
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(alive(pid), 'SIGHUP is ignored, so it lives on for now');
    await waitUntil(() => !alive(pid), 'SIGKILL after the grace period', 5000);
  });

  test('closeAll kills running processes and resolves when they are gone', async () => {
    const local = createExecHandler({ scratchRoot: join(scratch, 'pods2') });
    const srv = createServer();
    srv.on('upgrade', (req, socket, head) =>
      local.handleUpgrade(req, socket, head, pods.one, new URL(req.url ?? '/', 'http://x').searchParams),
    );
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    const ws = new WebSocket(
      `ws://127.0.0.1:${port}${execPath('one', { command: ['sh', '-c', 'echo $$; exec sleep 300'], stdout: '1' })}`,
      ['v5.channel.k8s.io'],
    );
    const pid = await new Promise<number>((resolve) =>
      ws.on('message', (d: Buffer) => {
        if (d.length > 1) resolve(Number(d.subarray(1).toString().trim()));
      }),
    );
    assert.ok(alive(pid));
    await local.closeAll();
    assert.equal(alive(pid), false);
    await new Promise((r) => srv.close(r));
  });

  test('flow control: output is paused while the client does not read, and nothing is lost', async () => {
    // 32 MiB is far more than the kernel's socket buffers plus the 1 MiB high-water mark: without flow
    // control the process would finish (and create the marker) while the client is not reading.
    const size = 32 * 1024 * 1024;
    const marker = join(scratch, 'flow-marker');
    const c = new RawExec(
      execPath('one', { command: ['sh', '-c', `head -c ${size} /dev/zero; touch ${marker}`], stdout: 'true' }),
      ['v5.channel.k8s.io'],
    );
    await c.opened;
    const socket = (c.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(statSync(marker, { throwIfNoEntry: false }), undefined, 'the writer must be blocked');
    socket.resume();
    assert.equal(await c.closed, 1000);
    const total = c.frames.filter((f) => f.channel === 1).reduce((n, f) => n + f.data.length, 0);
    assert.equal(total, size);
    assert.ok(statSync(marker).isFile());
    assert.equal(c.text(3), '{"metadata":{},"status":"Success"}');
  });
});

describe('exec request errors', () => {
  test('unknown container → 400 BadRequest Status', async () => {
    const r = await rawUpgrade(
      execPath('one', { command: 'true', stdout: '1', container: 'nope' }),
      'v5.channel.k8s.io',
    );
    assert.equal(r.status, 400);
    assert.deepEqual(JSON.parse(r.body), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'container nope is not valid for pod one',
      reason: 'BadRequest',
      code: 400,
    });
  });

  test('several containers and none named → 400 naming the choices', async () => {
    const r = await rawUpgrade(execPath('two', { command: 'true', stdout: '1' }), 'v5.channel.k8s.io');
    assert.equal(r.status, 400);
    assert.equal(
      JSON.parse(r.body).message,
      'a container name must be specified for pod two, choose one of: [a b] or one of the init containers: [init]',
    );
    const ok = await rawUpgrade(execPath('two', { command: 'true', stdout: '1', container: 'b' }), 'v5.channel.k8s.io');
    assert.equal(ok.status, 101);
  });

  test('no stream requested → 400', async () => {
    const r = await rawUpgrade(execPath('one', { command: 'true' }), 'v5.channel.k8s.io');
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).message, 'you must specify at least 1 of stdin, stdout, stderr');
  });

  test('only unsupported subprotocols offered → 403, like the server handshake', async () => {
    const r = await rawUpgrade(execPath('one', { command: 'true', stdout: '1' }), 'v3.channel.k8s.io, foo');
    assert.equal(r.status, 403);
    const ok = await rawUpgrade(execPath('one', { command: 'true', stdout: '1' }), 'foo, v4.channel.k8s.io');
    assert.equal(ok.status, 101);
    assert.equal(ok.headers['sec-websocket-protocol'], 'v4.channel.k8s.io');
  });
});
