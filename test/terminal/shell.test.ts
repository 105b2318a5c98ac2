// Local shells on real PTYs through the real server: round trip, resize, UTF-8 framing, environment, kubectl.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { CLUSTER, startTerminalEnv, TENANT_NS, TerminalClient, waitUntil, type TerminalEnv } from './harness.js';

let env: TerminalEnv;

before(async () => {
  env = await startTerminalEnv({ BUTLER_TERMINAL_MODE: 'local', BUTLER_TEST_SECRET_MARKER: 'must-not-leak' });
  process.env.BUTLER_PARENT_MARKER = 'must-not-leak-either';
});
after(async () => {
  await env?.close();
});

async function open(path: string): Promise<TerminalClient> {
  const c = await TerminalClient.connect(env.wsUrl(path), { token: env.token });
  await c.waitFor(/\$ $/);
  return c;
}

describe('local shells', () => {
  test('management: session id first, PS1, echo round trip', async (t) => {
    const c = await open('/ws/terminal/management');
    t.after(() => c.close());
    assert.match(c.frames[0]!, /^\x1b\]7717;butler-session=[a-f0-9]{32}\x07/);
    assert.match(c.text, /\[management\] \$ $/);
    const from = c.text.length;
    c.input('echo hi\r');
    await c.waitFor(/[\r\n]hi\r\n/, 5000, from);
  });

  test('a resize changes stty size; out-of-range resizes are ignored', async (t) => {
    const c = await open('/ws/terminal/management');
    t.after(() => c.close());
    assert.equal((await c.run('stty size')).trim(), '24 80');
    c.resize(132, 43);
    assert.equal((await c.run('stty size')).trim(), '43 132');
    c.resize(1001, 10);
    c.ws.send(JSON.stringify({ type: 'resize', cols: 10, rows: 0 }));
    c.ws.send(JSON.stringify({ type: 'resize', cols: 10.5, rows: 20 }));
    assert.equal((await c.run('stty size')).trim(), '43 132');
  });

  test('frames that are not data/resize JSON are written as-is', async (t) => {
    const c = await open('/ws/terminal/management');
    t.after(() => c.close());
    const from = c.text.length;
    c.ws.send('echo raw-frame-works\r');
    await c.waitFor(/[\r\n]raw-frame-works\r\n/, 5000, from);
  });

  test('1 MB of multi-byte characters arrives as valid UTF-8 text in every frame', async (t) => {
    const c = await open('/ws/terminal/management');
    t.after(() => c.close());
    const firstFrame = c.frames.length;
    // 3-byte € and 4-byte emoji, with odd line lengths so PTY reads split characters everywhere.
    const out = await c.run(
      `i=0; while [ $i -lt 4000 ]; do printf '€😀€€😀ab😀€%.0s' 1 2 3 4 5 6 7 8 9 10 11; echo; i=$((i+1)); done`,
      60_000,
    );
    const lines = out.split('\r\n').filter((l) => l !== '');
    assert.equal(lines.length, 4000);
    for (const line of lines) assert.equal(line, '€😀€€😀ab😀€'.repeat(11));
    assert.ok(Buffer.byteLength(out) > 1_000_000, `only ${Buffer.byteLength(out)} bytes`);
    assert.deepEqual(c.invalidFrames, []);
    assert.deepEqual(c.binaryFrames, []);
    const frames = c.frames.slice(firstFrame);
    assert.ok(frames.length > 10, 'output came in many frames');
    for (const f of frames) {
      assert.ok(Buffer.byteLength(f) <= 64 * 1024, `frame of ${Buffer.byteLength(f)} bytes`);
      assert.doesNotMatch(f, /\uFFFD/);
    }
  });

  test('the environment is built from scratch; HOME is a private dir with the kubeconfig 0600', async (t) => {
    const c = await open('/ws/terminal/management');
    t.after(() => c.close());
    const vars = (await c.run('env | cut -d= -f1 | sort | tr "\\n" " "')).trim().split(' ');
    const allowed = ['HOME', 'KUBECONFIG', 'LANG', 'PATH', 'PS1', 'SHELL', 'TERM', 'TERMINAL_SESSION_MARKER'];
    // Variables the shell sets for itself.
    const shellOwn = ['OLDPWD', 'PWD', 'SHLVL', '_', 'COLUMNS', 'LINES'];
    for (const v of vars) assert.ok(allowed.includes(v) || shellOwn.includes(v), `unexpected variable ${v}`);
    for (const v of allowed) assert.ok(vars.includes(v), `missing ${v}`);
    const all = await c.run('env');
    assert.doesNotMatch(all, /BUTLER_|must-not-leak|KUBERNETES_SERVICE|_PROXY|JWT/i);
    assert.match(all, /TERM=xterm-256color/);
    assert.match(all, /LANG=C\.UTF-8/);
    const home = /HOME=(\S+)/.exec(all)![1]!;
    assert.equal((await c.run('pwd')).trim(), home);
    assert.equal(statSync(home).mode & 0o777, 0o700);
    assert.equal(statSync(`${home}/kubeconfig`).mode & 0o777, 0o600);
    assert.match(all, new RegExp(`KUBECONFIG=${home}/kubeconfig`));
    c.close();
    await c.closed;
    await waitUntil(() => !readdirSync('/tmp').includes(home.split('/').pop()!), 10_000, 'temp dir removal');
  });

  test('kubectl in the management shell sees the management cluster', async (t) => {
    const c = await open('/ws/terminal/management');
    t.after(() => c.close());
    const out = await c.run('kubectl get nodes -o name', 30_000);
    assert.match(out, /node\/mgmt-node-1/);
    assert.doesNotMatch(out, /tenant-node/);
  });

  test('kubectl in a tenant shell sees that tenant cluster; PS1 names the cluster', async (t) => {
    const c = await open(`/ws/terminal/tenant/${TENANT_NS}/${CLUSTER}`);
    t.after(() => c.close());
    assert.match(c.text, new RegExp(`\\[${CLUSTER}\\] \\$ $`));
    const out = await c.run('kubectl get nodes -o name', 30_000);
    assert.match(out, /node\/tenant-node-1/);
    assert.match(out, /node\/tenant-node-2/);
    assert.doesNotMatch(out, /mgmt-node/);
  });

  test('audit lines at start and end, without input or output', async () => {
    const c = await open('/ws/terminal/management');
    const id = c.sessionId!;
    await c.run('echo secret-typed-text');
    c.input('exit 7\r');
    const closed = await c.closedWithin();
    assert.equal(closed.code, 1000);
    await waitUntil(() => env.server.logs.some((l) => l.includes('terminal.end') && l.includes(id)), 10_000, 'end');
    const lines = env.server.logs.filter((l) => l.includes(id)).map((l) => JSON.parse(l) as Record<string, unknown>);
    const start = lines.find((l) => l.event === 'terminal.start')!;
    const end = lines.find((l) => l.event === 'terminal.end')!;
    assert.equal(start.audit, true);
    assert.equal(start.user, 'admin');
    assert.deepEqual(start.target, { kind: 'management-shell', path: '/ws/terminal/management' });
    assert.equal(start.reattach, false);
    assert.equal(start.address, '127.0.0.1');
    assert.equal(end.reason, 'exit');
    assert.equal(end.exitCode, 7);
    assert.ok((end.bytesIn as number) > 10 && (end.bytesOut as number) > 10);
    assert.equal(typeof end.durationMs, 'number');
    assert.ok(!env.server.logs.some((l) => l.includes('secret-typed-text')));
  });

  test('a setsid child that left the session and tree of the shell still ends with it', async () => {
    const c = await open('/ws/terminal/management');
    // The subshell exits at once: the sleep is reparented, in its own session, without a terminal (no SIGHUP).
    await c.run('(setsid sleep 7772 < /dev/null > /dev/null 2>&1 &)');
    const sleeping = () =>
      readdirSync('/proc').filter((p) => {
        try {
          return /^\d+$/.test(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\u00007772\u0000';
        } catch {
          return false;
        }
      });
    await waitUntil(() => sleeping().length === 1, 5000, 'the setsid child');
    c.close();
    await c.closed;
    await waitUntil(() => sleeping().length === 0, 60_000, 'the setsid child to end');
  });
});
