import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { CoalescingSender } from './coalescing-sender.js';

let wss: WebSocketServer;
let port = 0;

before(async () => {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  port = (wss.address() as { port: number }).port;
});

after(async () => {
  for (const c of wss.clients) c.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
});

/** A connected pair: the server side wrapped in a sender with the given marks, the client collecting text frames. */
async function pair(highWaterBytes: number, maxPendingBytes?: number) {
  const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', (ws) => resolve(ws)));
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  const received: string[] = [];
  client.on('message', (d, isBinary) => {
    assert.equal(isBinary, false);
    received.push(d.toString());
  });
  await new Promise((resolve) => client.once('open', resolve));
  const ws = await serverSide;
  const sender = new CoalescingSender(ws, { highWaterBytes, lowWaterBytes: 0, maxPendingBytes });
  const waitFor = async (n: number) => {
    for (let i = 0; i < 200 && received.length < n; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
  };
  return { sender, received, waitFor, client };
}

const f = (s: string) => Buffer.from(s);

test('below the mark every frame is written as it comes', async () => {
  const { sender, received, waitFor, client } = await pair(1 << 20);
  for (const s of ['a1', 'b1', 'a2']) sender.send(s[0]!, f(s));
  await waitFor(3);
  assert.deepEqual(received, ['a1', 'b1', 'a2']);
  assert.equal(sender.pendingCount, 0);
  client.terminate();
});

test('above the mark: latest frame per object, in the order of each object’s latest change', async () => {
  const { sender, received, waitFor, client } = await pair(1);
  // a1 is written and crosses the mark; the rest is coalesced synchronously.
  sender.send('a', f('a1'));
  sender.send('b', f('b1'));
  sender.send('c', f('c1'));
  sender.send('b', f('b2'));
  sender.send('d', f('d1'));
  sender.send('c', f('c2'));
  assert.equal(sender.pendingCount, 3);
  assert.ok(sender.slowSince > 0);
  await waitFor(4);
  assert.deepEqual(received, ['a1', 'b2', 'd1', 'c2']);
  assert.equal(sender.pendingCount, 0);
  assert.equal(sender.slowSince, 0);
  client.terminate();
});

test('a resync frame supersedes everything pending', async () => {
  const { sender, received, waitFor, client } = await pair(1);
  sender.send('a', f('a1'));
  sender.send('b', f('b1'));
  sender.replaceAll(f('resync'));
  sender.send('c', f('c1'));
  await waitFor(3);
  assert.deepEqual(received, ['a1', 'resync', 'c1']);
  client.terminate();
});

test('pending frames beyond maxPendingBytes are dropped for one resync built when the socket drains', async () => {
  const { sender, received, waitFor, client } = await pair(1, 5);
  let state = 'state-1';
  sender.setResyncSource(() => f(`resync:${state}`));
  sender.send('a', f('a1'));
  sender.send('b', f('b1'));
  sender.send('c', f('c1'));
  assert.equal(sender.pendingBytes, 4);
  sender.send('d', f('d1'));
  assert.equal(sender.pendingCount, 1, 'replaced by the resync marker');
  assert.equal(sender.pendingBytes, 0);
  sender.send('e', f('e1'));
  state = 'state-2';
  await waitFor(2);
  assert.deepEqual(received, ['a1', 'resync:state-2']);
  assert.equal(sender.pendingBytes, 0);
  client.terminate();
});
