// Load generator for bench/live.bench.ts, forked as a separate process so that the clients do not share the
// server's event loop. Opens `count` WebSockets and reports, for every marked change, when each socket received it.
//
// Protocol (IPC): parent → { cmd: 'connect', url, headers, count, waitForFirstMessage }
//                 child  → { type: 'connected', open, failed }
//                 child  → { type: 'arrived', seq, times } once every open socket has seen change `seq`
//                 parent → { cmd: 'flush', seq } → child → { type: 'arrived', seq, times } with what it has
//                 parent → { cmd: 'close' } → child closes everything and exits
import WebSocket from 'ws';

interface ConnectCommand {
  cmd: 'connect';
  url: string;
  headers: Record<string, string>;
  count: number;
  /** butler-server sends a snapshot first: count a socket as ready once it arrived. */
  waitForFirstMessage: boolean;
}
type Command = ConnectCommand | { cmd: 'flush'; seq: number } | { cmd: 'close' };

const MARKER = /"bench-seq":"(\d+)"/;
const BATCH = 200;

const now = () => performance.timeOrigin + performance.now();
const sockets: WebSocket[] = [];
const arrivals = new Map<number, number[]>();
const reported = new Set<number>();

function send(m: object): void {
  process.send?.(m);
}

function onMessage(data: WebSocket.RawData): void {
  const t = now();
  const text = data.toString();
  const m = MARKER.exec(text);
  if (!m) return;
  const seq = Number(m[1]);
  let times = arrivals.get(seq);
  if (!times) arrivals.set(seq, (times = []));
  times.push(t);
  if (times.length === sockets.length && !reported.has(seq)) {
    reported.add(seq);
    send({ type: 'arrived', seq, times });
  }
}

function open(c: ConnectCommand): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(c.url, { headers: c.headers, perMessageDeflate: false, handshakeTimeout: 30_000 });
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      if (ok) {
        sockets.push(ws);
        ws.on('message', onMessage);
      } else {
        ws.terminate();
      }
      resolve(ok);
    };
    ws.on('error', () => done(false));
    if (c.waitForFirstMessage) ws.once('message', () => done(true));
    else ws.once('open', () => done(true));
  });
}

async function connect(c: ConnectCommand): Promise<void> {
  let failed = 0;
  for (let i = 0; i < c.count; i += BATCH) {
    const results = await Promise.all(Array.from({ length: Math.min(BATCH, c.count - i) }, () => open(c)));
    failed += results.filter((ok) => !ok).length;
  }
  send({ type: 'connected', open: sockets.length, failed });
}

process.on('message', (m: Command) => {
  switch (m.cmd) {
    case 'connect':
      void connect(m);
      break;
    case 'flush':
      if (!reported.has(m.seq)) {
        reported.add(m.seq);
        send({ type: 'arrived', seq: m.seq, times: arrivals.get(m.seq) ?? [] });
      }
      break;
    case 'close':
      for (const ws of sockets) ws.terminate();
      process.disconnect?.();
      setTimeout(() => process.exit(0), 100).unref();
      break;
  }
});
send({ type: 'ready' });
