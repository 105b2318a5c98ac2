// A client's close code concerns only its own socket: a browser reload (1001, "going away") must not stop the
// terminals of the server. Only the server's own shutdown ends every session.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTerminalEnv, TerminalClient, waitUntil, type TerminalEnv } from './harness.js';

const PATH = '/ws/terminal/management';
let env: TerminalEnv;

before(async () => {
  env = await startTerminalEnv({ BUTLER_TERMINAL_REATTACH_GRACE: '30s', BUTLER_TERMINAL_MAX_PER_USER: '20' });
});
after(async () => {
  await env?.close();
});

const open = async (path = PATH) => {
  const c = await TerminalClient.connect(env.wsUrl(path), { token: env.token });
  await c.waitFor(/\$ $/);
  return c;
};

test('a client closing with 1001 keeps its shell for reattach, and new terminals still open', async () => {
  const first = await open();
  const id = first.sessionId!;
  const pid = (await first.run('echo $$')).trim();
  first.close(1001);
  const closed = await first.closedWithin();
  assert.equal(closed.code, 1001);
  await waitUntil(() => env.server.app.terminals.get(id)?.attached === false, 5000, 'the session to detach');
  assert.equal(env.server.app.terminals.isShuttingDown, false);

  const next = await open();
  assert.doesNotMatch(next.text, /server is shutting down/);
  assert.match(await next.run('echo fresh-$((40+2))'), /fresh-42/);
  next.close();

  const back = await TerminalClient.connect(env.wsUrl(`${PATH}?session=${id}`), { token: env.token });
  assert.equal((await back.run('echo $$')).trim(), pid);
  back.close();
  await back.closed;
});

test('a client closing with 1001 more than once, or with any other code, stops nothing server-wide', async () => {
  for (const code of [1001, 1001, 1002, 1011, 4000]) {
    const c = await open();
    c.close(code);
    await c.closedWithin();
  }
  assert.equal(env.server.app.terminals.isShuttingDown, false);
  const c = await open();
  assert.match(await c.run('echo still-$((1+1))'), /still-2/);
  c.close();
  await c.closed;
});
