// Session lifecycle: reattach within the grace period, takeover, other users, the end after the grace, idle and
// lifetime limits, logout (4401), server shutdown (1001) and recording.
import { platformAdminIdentity } from '../helpers/server.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from '../../src/terminal/process-tree.js';
import { RED, startTerminalEnv, TerminalClient, waitUntil, type TerminalEnv } from './harness.js';

const PATH = '/ws/terminal/management';

describe('reattach', () => {
  let env: TerminalEnv;
  before(async () => {
    env = await startTerminalEnv({
      BUTLER_TERMINAL_MODE: 'local',
      BUTLER_TERMINAL_REATTACH_GRACE: '1500ms',
      BUTLER_TERMINAL_SCROLLBACK_BYTES: '4KiB',
    });
  });
  after(async () => {
    await env?.close();
  });

  const open = async (path = PATH, token = env.token) => {
    const c = await TerminalClient.connect(env.wsUrl(path), { token });
    await c.waitFor(/\$ $/);
    return c;
  };

  test('within the grace period: scrollback, then the same shell (same PID)', async () => {
    const c = await open();
    const id = c.sessionId!;
    const pid = (await c.run('echo $$')).trim();
    c.input('sleep 0.3; echo "output-while-""detached"\r');
    c.drop();
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(env.server.app.terminals.get(id)?.attached, false);
    const back = await TerminalClient.connect(env.wsUrl(`${PATH}?session=${id}`), { token: env.token });
    await back.waitFor(/output-while-detached/);
    assert.equal(back.sessionId, id);
    assert.ok(back.frames[0]!.startsWith(`\x1b]7717;butler-session=${id}\x07`));
    assert.equal((await back.run('echo $$')).trim(), pid);
    back.close();
    await back.closed;
  });

  test('a second attach takes over: the older socket gets 4409', async () => {
    const c = await open();
    const id = c.sessionId!;
    const newer = await TerminalClient.connect(env.wsUrl(`${PATH}?session=${id}`), { token: env.token });
    const old = await c.closedWithin();
    assert.equal(old.code, 4409);
    assert.ok(c.text.endsWith(RED('terminal session taken over by a newer connection')));
    assert.match(await newer.run('echo still-$((1+1))'), /still-2/);
    newer.close();
  });

  test('another user: 4403; another path: 4404', async () => {
    const c = await open();
    const id = c.sessionId!;
    const bob = (await env.server.app.butlerAuth.tokens.issue(platformAdminIdentity('bob'))).token;
    const other = await TerminalClient.connect(env.wsUrl(`${PATH}?session=${id}`), { token: bob });
    assert.equal((await other.closedWithin()).code, 4403);
    assert.equal(other.text, RED('terminal session belongs to another user'));
    const wrongPath = await TerminalClient.connect(env.wsUrl(`/ws/terminal/management/x/y?session=${id}`), {
      token: env.token,
    });
    assert.equal((await wrongPath.closedWithin()).code, 4404);
    // The owner's socket was not disturbed.
    assert.match(await c.run('echo fine'), /fine/);
    c.close();
  });

  test('after the grace period the shell is gone and the id expired', async () => {
    const c = await open();
    const id = c.sessionId!;
    const pid = Number((await c.run('echo $$')).trim());
    c.drop();
    await waitUntil(() => env.server.app.terminals.get(id) === undefined, 5000, 'session end');
    await waitUntil(() => !isAlive(pid), 5000, 'shell exit');
    const late = await TerminalClient.connect(env.wsUrl(`${PATH}?session=${id}`), { token: env.token });
    assert.equal((await late.closedWithin()).code, 4404);
    assert.equal(late.text, RED('terminal session expired'));
    await waitUntil(() => env.server.logs.some((l) => l.includes('grace-expired') && l.includes(id)), 5000, 'audit');
  });

  test('a user close (1000) ends the shell at once', async () => {
    const c = await open();
    const id = c.sessionId!;
    const pid = Number((await c.run('echo $$')).trim());
    c.close(1000);
    await waitUntil(() => env.server.app.terminals.get(id) === undefined, 2000, 'session end');
    await waitUntil(() => !isAlive(pid), 5000, 'shell exit');
  });

  test('the scrollback keeps the newest bytes, cut at character boundaries', async () => {
    const c = await open();
    const id = c.sessionId!;
    await c.run(`for i in $(seq 1 400); do echo "€€€ line $i 😀"; done`);
    c.drop();
    await new Promise((r) => setTimeout(r, 100));
    const back = await TerminalClient.connect(env.wsUrl(`${PATH}?session=${id}`), { token: env.token });
    await back.waitFor(/line 400 😀/);
    assert.deepEqual(back.invalidFrames, []);
    assert.doesNotMatch(back.text, /line 1 😀/);
    const replay = back.text.slice(back.text.indexOf('\x07') + 1);
    assert.ok(Buffer.byteLength(replay) <= 4096, `${Buffer.byteLength(replay)} bytes replayed`);
    assert.doesNotMatch(replay, /\uFFFD/);
    back.close();
  });
});

describe('limits, logout, shutdown, recording', () => {
  let env: TerminalEnv;
  let recordings: string;
  before(async () => {
    recordings = mkdtempSync(join(tmpdir(), 'terminal-recordings-'));
    env = await startTerminalEnv({
      BUTLER_TERMINAL_MODE: 'local',
      BUTLER_TERMINAL_IDLE_TIMEOUT: '1s',
      BUTLER_TERMINAL_MAX_LIFETIME: '2500ms',
      BUTLER_TERMINAL_RECORDING_DIR: recordings,
    });
  });
  after(async () => {
    await env?.close();
    rmSync(recordings, { recursive: true, force: true });
  });

  test('idle: no input and no output for the timeout → red line, 1000', async () => {
    const c = await TerminalClient.connect(env.wsUrl(PATH), { token: env.token });
    await c.waitFor(/\$ $/);
    const started = Date.now();
    const closed = await c.closedWithin(5000);
    assert.equal(closed.code, 1000);
    assert.ok(Date.now() - started >= 900);
    assert.ok(c.text.endsWith(RED('session closed: idle for 1 second')));
  });

  test('output counts as activity; the lifetime ends the session anyway', async () => {
    const c = await TerminalClient.connect(env.wsUrl(PATH), { token: env.token });
    await c.waitFor(/\$ $/);
    c.input('while true; do echo tick; sleep 0.3; done\r');
    const closed = await c.closedWithin(6000);
    assert.equal(closed.code, 1000);
    assert.ok(c.text.endsWith(RED('session closed: maximum lifetime of 3 seconds reached')), c.text.slice(-100));
  });

  test('logout (revocation) closes the terminal with 4401', async () => {
    const { token } = await env.server.login();
    const c = await TerminalClient.connect(env.wsUrl(PATH), { token });
    await c.waitFor(/\$ $/);
    const res = await fetch(`${env.server.url}/api/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200);
    const closed = await c.closedWithin(5000);
    assert.equal(closed.code, 4401);
    assert.ok(c.text.endsWith(RED('session revoked; please log in again')));
  });

  test('recordings: asciicast v2, mode 0600, output only', async () => {
    const c = await TerminalClient.connect(env.wsUrl(PATH), { token: env.token });
    await c.waitFor(/\$ $/);
    const id = c.sessionId!;
    c.resize(90, 20);
    await c.run('echo "recorded-""output"');
    c.close();
    await waitUntil(() => env.server.logs.some((l) => l.includes('terminal.end') && l.includes(id)), 5000, 'end');
    const file = readdirSync(recordings).find((f) => f.endsWith(`-${id}.cast`));
    assert.ok(file, 'recording file');
    const path = join(recordings, file);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const [header, ...events] = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(header.version, 2);
    assert.equal(header.width, 80);
    assert.ok(events.some((e: unknown[]) => e[1] === 'r' && e[2] === '90x20'));
    const output = events
      .filter((e: unknown[]) => e[1] === 'o')
      .map((e: unknown[]) => e[2])
      .join('');
    assert.match(output, /recorded-output/);
    for (const e of events) assert.ok(e[1] === 'o' || e[1] === 'r');
  });
});

describe('server shutdown', () => {
  test('terminals get a red line and 1001; the shells are ended', async () => {
    const env = await startTerminalEnv({ BUTLER_TERMINAL_MODE: 'local' });
    let closedEnv = false;
    try {
      const c = await TerminalClient.connect(env.wsUrl(PATH), { token: env.token });
      await c.waitFor(/\$ $/);
      const pid = Number((await c.run('echo $$')).trim());
      const detached = await TerminalClient.connect(env.wsUrl(PATH), { token: env.token });
      await detached.waitFor(/\$ $/);
      const detachedPid = Number((await detached.run('echo $$')).trim());
      detached.drop();
      await new Promise((r) => setTimeout(r, 100));
      await env.close();
      closedEnv = true;
      const closed = await c.closedWithin();
      assert.equal(closed.code, 1001);
      assert.ok(c.text.endsWith(RED('server is shutting down')));
      assert.equal(isAlive(pid), false);
      assert.equal(isAlive(detachedPid), false);
    } finally {
      if (!closedEnv) await env.close();
    }
  });
});
