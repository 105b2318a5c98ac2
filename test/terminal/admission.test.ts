// Admission of terminal sockets (docs/api.md §6.3): Origin, session, role, disabled type, caps, target; each refusal
// before any process starts.
import { platformAdminIdentity } from '../helpers/server.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { CLUSTER, RED, startTerminalEnv, TENANT_NS, TerminalClient, type TerminalEnv } from './harness.js';

let env: TerminalEnv;
/** Processes whose parent is this (server) process: shells would show up here. */
function childPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

const newChildren = (before: Set<number>) => childPids().filter((p) => !before.has(p));

before(async () => {
  env = await startTerminalEnv({ BUTLER_TERMINAL_MAX_PER_USER: '2', BUTLER_TERMINAL_MAX_TOTAL: '3' });
});
after(async () => {
  await env?.close();
});

async function refusedAfterUpgrade(path: string, token = env.token) {
  const before = new Set(childPids());
  const c = await TerminalClient.connect(env.wsUrl(path), { token });
  const closed = await c.closedWithin();
  assert.deepEqual(newChildren(before), [], 'no process was started');
  return { closed, text: c.text, frames: c.frames };
}

describe('refused before any process starts', () => {
  test('a foreign Origin: 403 JSON, no upgrade', async () => {
    const err = (await TerminalClient.connect(env.wsUrl('/ws/terminal/management'), {
      token: env.token,
      origin: 'https://evil.example',
    }).catch((e: unknown) => e)) as { status: number; body: string };
    assert.equal(err.status, 403);
    assert.deepEqual(JSON.parse(err.body), { error: 'cross-origin WebSocket refused' });
  });

  test('the own Origin is accepted', async (t) => {
    const c = await TerminalClient.connect(env.wsUrl('/ws/terminal/management'), {
      token: env.token,
      origin: env.server.url,
    });
    t.after(() => c.close());
    await c.waitFor(/\$ $/);
  });

  test('no session, or a token with another role: 4401 with a red line, no process', async () => {
    const anonymous = await refusedAfterUpgrade('/ws/terminal/management', '');
    assert.equal(anonymous.closed.code, 4401);
    assert.equal(anonymous.text, RED('not logged in or session expired'));
    const key = new TextEncoder().encode(env.server.config.auth.jwtSecret);
    const now = Math.floor(Date.now() / 1000);
    const viewer = await new SignJWT({ username: 'eve', role: 'viewer' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('eve')
      .setIssuer('butler-server')
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 600)
      .setJti('0123456789abcdef0123456789abcdef')
      .sign(key);
    // Only admin tokens verify today, so another role is "not logged in" rather than 4403.
    const eve = await refusedAfterUpgrade('/ws/terminal/management', viewer);
    assert.ok([4401, 4403].includes(eve.closed.code), `close ${eve.closed.code}`);
  });

  test('a plain GET: 426', async () => {
    const res = await fetch(`${env.server.url}/ws/terminal/management`, {
      headers: { authorization: `Bearer ${env.token}` },
    });
    assert.equal(res.status, 426);
    assert.deepEqual(await res.json(), { error: 'websocket upgrade required' });
  });

  test('unknown type, unknown cluster, missing kubeconfig: 4404 with a red line', async () => {
    const unknown = await refusedAfterUpgrade(`/ws/terminal/other/${TENANT_NS}/${CLUSTER}`);
    assert.equal(unknown.closed.code, 4404);
    assert.equal(unknown.text, RED('no such terminal type or target'));
    const missing = await refusedAfterUpgrade(`/ws/terminal/tenant/${TENANT_NS}/nope`);
    assert.equal(missing.closed.code, 4404);
    assert.equal(missing.text, RED(`TenantCluster "${TENANT_NS}/nope" not found`));
    const badName = await refusedAfterUpgrade(`/ws/terminal/tenant/${TENANT_NS}/UPPER`);
    assert.equal(badName.closed.code, 4404);
  });

  test('an unknown or foreign reattach id: 4404 terminal session expired', async () => {
    const r = await refusedAfterUpgrade('/ws/terminal/management?session=AAAAAAAAAAAAAAAAAAAAAA');
    assert.equal(r.closed.code, 4404);
    assert.equal(r.text, RED('terminal session expired'));
  });
});

describe('session caps', () => {
  test('per user and in total (detached sessions count): 4429 with a red line', async (t) => {
    const a = await TerminalClient.connect(env.wsUrl('/ws/terminal/management'), { token: env.token });
    const b = await TerminalClient.connect(env.wsUrl('/ws/terminal/management'), { token: env.token });
    t.after(() => {
      a.close();
      b.close();
    });
    await a.waitFor(/\$ $/);
    await b.waitFor(/\$ $/);
    const third = await refusedAfterUpgrade('/ws/terminal/management');
    assert.equal(third.closed.code, 4429);
    assert.equal(third.text, RED('too many terminal sessions (limit 2 per user)'));

    // Another user fills the total; a detached session still counts.
    const bob = (await env.server.app.butlerAuth.tokens.issue(platformAdminIdentity('bob'))).token;
    const c = await TerminalClient.connect(env.wsUrl('/ws/terminal/management'), { token: bob });
    await c.waitFor(/\$ $/);
    c.drop();
    await new Promise((r) => setTimeout(r, 200));
    const over = await refusedAfterUpgrade('/ws/terminal/management', bob);
    assert.equal(over.closed.code, 4429);
    assert.equal(over.text, RED('too many terminal sessions on this server (limit 3)'));

    // Freed slots are usable again.
    b.close();
    await b.closed;
    const again = await TerminalClient.connect(env.wsUrl('/ws/terminal/management'), { token: env.token });
    t.after(() => again.close());
    await again.waitFor(/\$ $/);
  });
});

describe('management terminals disabled', () => {
  test('4403 for both management forms; tenant terminals still work', async (t) => {
    const off = await startTerminalEnv({ BUTLER_TERMINAL_MANAGEMENT: 'false' });
    t.after(() => off.close());
    for (const path of ['/ws/terminal/management', '/ws/terminal/management/butler-system/solo']) {
      const c = await TerminalClient.connect(off.wsUrl(path), { token: off.token });
      const closed = await c.closedWithin();
      assert.equal(closed.code, 4403, path);
      assert.equal(c.text, RED('management terminals are disabled'));
    }
    const tenant = await TerminalClient.connect(off.wsUrl(`/ws/terminal/tenant/${TENANT_NS}/${CLUSTER}`), {
      token: off.token,
    });
    t.after(() => tenant.close());
    await tenant.waitFor(/\$ $/);
  });
});
