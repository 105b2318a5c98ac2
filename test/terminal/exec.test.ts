// Pod exec through the real server into the simulator's pods (real processes behind the exec API).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER, RED, startTerminalEnv, TENANT_NS, TerminalClient, type TerminalEnv } from './harness.js';

let env: TerminalEnv;

before(async () => {
  env = await startTerminalEnv();
});
after(async () => {
  await env?.close();
});

async function open(path: string): Promise<TerminalClient> {
  const c = await TerminalClient.connect(env.wsUrl(path), { token: env.token });
  await c.waitFor(/[$#] $/);
  return c;
}

describe('management pod exec', () => {
  test('round trip, resize reaches the process, exit status as the last line', async () => {
    const c = await open('/ws/terminal/management/butler-system/solo');
    assert.match(c.frames[0]!, /^\x1b\]7717;butler-session=/);
    assert.equal((await c.run('echo $TERM')).trim(), 'xterm-256color');
    assert.equal((await c.run('stty size')).trim(), '24 80');
    c.resize(100, 30);
    assert.equal((await c.run('stty size')).trim(), '30 100');
    c.input('exit 3\r');
    const closed = await c.closedWithin();
    assert.equal(closed.code, 1000);
    assert.match(c.text, /\[process exited with code 3\]\r\n$/);
  });

  test('exit 0 is shown too', async () => {
    const c = await open('/ws/terminal/management/butler-system/solo/main');
    c.input('exit\r');
    await c.closedWithin();
    assert.match(c.text, /\[process exited with code 0\]\r\n$/);
  });

  test('the container: path segment, else the default-container annotation', async () => {
    // The simulator runs each container's processes in a scratch directory named after it.
    const annotated = await open('/ws/terminal/management/butler-system/duo');
    assert.match(await annotated.run('pwd'), /second/);
    annotated.close();
    const first = await open('/ws/terminal/management/butler-system/duo/first');
    assert.match(await first.run('pwd'), /first/);
    first.close();
  });

  test('a missing pod or container: 4404 with a red line', async () => {
    const pod = await TerminalClient.connect(env.wsUrl('/ws/terminal/management/butler-system/ghost'), {
      token: env.token,
    });
    assert.equal((await pod.closedWithin()).code, 4404);
    assert.equal(pod.text, RED('Pod "butler-system/ghost" not found'));
    const container = await TerminalClient.connect(env.wsUrl('/ws/terminal/management/butler-system/solo/nope'), {
      token: env.token,
    });
    assert.equal((await container.closedWithin()).code, 4404);
    assert.equal(container.text, RED('container "nope" not found in pod "butler-system/solo"'));
  });
});

describe('tenant pod exec', () => {
  test('into a pod of the tenant cluster, namespace from ?podNamespace=', async () => {
    const c = await open(`/ws/terminal/tenant/${TENANT_NS}/${CLUSTER}/web?podNamespace=apps`);
    assert.equal((await c.run('echo tenant-$((6*7))')).trim(), 'tenant-42');
    c.input('exit 5\r');
    assert.equal((await c.closedWithin()).code, 1000);
    assert.match(c.text, /\[process exited with code 5\]\r\n$/);
  });

  test('the pod is looked up in the tenant cluster, not the management cluster', async () => {
    const c = await TerminalClient.connect(env.wsUrl(`/ws/terminal/tenant/${TENANT_NS}/${CLUSTER}/solo`), {
      token: env.token,
    });
    assert.equal((await c.closedWithin()).code, 4404);
    assert.match(c.text, /Pod "default\/solo" not found/);
  });
});
