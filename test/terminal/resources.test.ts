// Resource bounds: 200 sessions dropped abruptly leave no process and no temp dir; a flood towards a client that
// does not read keeps the server's memory bounded (flow control pauses the PTY).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTerminalEnv, TerminalClient, waitUntil, type TerminalEnv } from './harness.js';

// Every temp dir the shells make goes here, so leftovers are easy to see (os.tmpdir() reads TMPDIR per call).
const privateTmp = mkdtempSync(join(tmpdir(), 'terminal-resources-'));
mkdirSync(privateTmp, { recursive: true });
process.env.TMPDIR = privateTmp;

let env: TerminalEnv;

before(async () => {
  env = await startTerminalEnv({
    BUTLER_TERMINAL_MODE: 'local',
    BUTLER_TERMINAL_REATTACH_GRACE: '300ms',
    BUTLER_TERMINAL_MAX_PER_USER: '250',
    BUTLER_TERMINAL_MAX_TOTAL: '250',
  });
});
after(async () => {
  await env?.close();
  rmSync(privateTmp, { recursive: true, force: true });
});

/** Live processes whose parent is this (server) process. */
function childPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        const fields = readFileSync(`/proc/${n}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return Number(fields[1]) === process.pid && fields[0] !== 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}

const shellDirs = () => readdirSync(privateTmp).filter((n) => n.startsWith('butler-terminal-'));

describe('no leftovers', () => {
  test('200 sessions opened and dropped abruptly: no child process, no temp dir', async () => {
    const before = new Set(childPids());
    const clients: TerminalClient[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const opened = await Promise.all(
        Array.from({ length: 20 }, () =>
          TerminalClient.connect(env.wsUrl('/ws/terminal/management'), { token: env.token }),
        ),
      );
      clients.push(...opened);
    }
    await Promise.all(clients.map((c) => c.waitFor(/\$ $/, 30_000)));
    assert.equal(env.server.app.terminals.size, 200);
    assert.ok(childPids().filter((p) => !before.has(p)).length >= 200, 'the shells ran');
    assert.ok(shellDirs().length >= 200, 'their temp dirs existed');
    // Half drop in the middle of output, half while idle.
    clients.forEach((c, i) => {
      if (i % 2 === 0) c.input('yes\r');
    });
    await new Promise((r) => setTimeout(r, 50));
    for (const c of clients) c.drop();
    await waitUntil(() => env.server.app.terminals.size === 0, 30_000, 'all sessions ended');
    await waitUntil(() => childPids().filter((p) => !before.has(p)).length === 0, 30_000, 'no child process');
    await waitUntil(() => shellDirs().length === 0, 10_000, 'no temp dir');
    assert.deepEqual(shellDirs(), []);
  });
});

describe('flow control', () => {
  test('a flood to a client that never reads keeps memory bounded and the PTY paused', async () => {
    const url = new URL(env.server.url);
    // A raw client: upgrade, then never read again.
    const socket = net.connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      'GET /ws/terminal/management HTTP/1.1\r\n' +
        `Host: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
        `Authorization: Bearer ${env.token}\r\n\r\n`,
    );
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    // A masked client text frame with the command.
    const payload = Buffer.from(JSON.stringify({ type: 'data', data: 'cat /dev/urandom | base64\r' }));
    const mask = Buffer.from([1, 2, 3, 4]);
    const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
    socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
    socket.pause();

    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const deadline = Date.now() + 4000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    const [info] = env.server.app.terminals.list();
    assert.ok(info, 'the session exists');
    assert.equal(info.paused, true, 'the PTY is paused');
    // 1 MiB high-water mark plus at most one frame and one PTY read in flight.
    assert.ok(info.bufferedAmount < 1.5 * 1024 * 1024, `bufferedAmount ${info.bufferedAmount}`);
    const growth = peak - baseline;
    assert.ok(growth < 64 * 1024 * 1024, `server memory grew by ${Math.round(growth / 1048576)} MiB`);
    socket.destroy();
    await waitUntil(() => env.server.app.terminals.size === 0, 10_000, 'session end after the grace');
  });
});
