// Load generator for the /ws/clusters team fan-out in bench/teams.bench.ts, forked as a separate process so that the
// clients do not share an event loop with the server (or the bench's own timing): opens sockets as members of given
// teams, timestamps every marked change when it arrives, and says when all sockets of the changed team have it.
//
// Protocol (IPC): parent → { cmd: 'connect', url, groups: [{team, cookie, count}] } → child → { type: 'connected', open, failed }
//                 parent → { cmd: 'expect', seq, team, count } → (the child holding that team's sockets, once all
//                          `count` of them received change `seq`) → { type: 'complete', seq }
//                 parent → { cmd: 'report' } → child → { type: 'arrived', arrivals: [{seq, team, t}] }
//                 parent → { cmd: 'close' }
import WebSocket from 'ws';

type Group = { team: string; cookie: string; count: number };
type Command =
  | { cmd: 'connect'; url: string; groups: Group[] }
  | { cmd: 'expect'; seq: number; team: string; count: number }
  | { cmd: 'report' }
  | { cmd: 'close' };

const MARKER = /"bench-seq":"(\d+)"/;
const BATCH = 200;
const now = () => performance.timeOrigin + performance.now();
const sockets: WebSocket[] = [];
const arrivals: { seq: number; team: string; t: number }[] = [];
/** Per awaited change: how many of its team's sockets still have to receive it. */
const awaited = new Map<number, { team: string; left: number }>();

function onArrival(seq: number, team: string, t: number): void {
  arrivals.push({ seq, team, t });
  const a = awaited.get(seq);
  if (!a || a.team !== team) return;
  if (--a.left === 0) {
    awaited.delete(seq);
    process.send?.({ type: 'complete', seq });
  }
}

function open(url: string, g: Group): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, {
      headers: { cookie: g.cookie, origin: new URL(url.replace(/^ws/, 'http')).origin },
      perMessageDeflate: false,
      handshakeTimeout: 30_000,
    });
    let settled = false;
    ws.on('error', () => {
      if (settled) return;
      settled = true;
      resolve(false);
    });
    ws.once('message', () => {
      if (settled) return;
      settled = true;
      sockets.push(ws);
      ws.on('message', (data: Buffer) => {
        const t = now();
        // Only the small update frames carry the marker; the text is decoded only for those.
        if (data.length > 8192) return;
        const m = MARKER.exec(data.toString());
        if (m) onArrival(Number(m[1]), g.team, t);
      });
      resolve(true);
    });
  });
}

process.on('message', (m: Command) => {
  if (m.cmd === 'connect') {
    void (async () => {
      let failed = 0;
      const all = m.groups.flatMap((g) => Array.from({ length: g.count }, () => g));
      for (let i = 0; i < all.length; i += BATCH) {
        const results = await Promise.all(all.slice(i, i + BATCH).map((g) => open(m.url, g)));
        failed += results.filter((ok) => !ok).length;
      }
      process.send?.({ type: 'connected', open: sockets.length, failed });
    })();
  } else if (m.cmd === 'expect') {
    const got = arrivals.filter((a) => a.seq === m.seq && a.team === m.team).length;
    if (got >= m.count) process.send?.({ type: 'complete', seq: m.seq });
    else awaited.set(m.seq, { team: m.team, left: m.count - got });
  } else if (m.cmd === 'report') {
    process.send?.({ type: 'arrived', arrivals });
  } else {
    for (const ws of sockets) ws.terminate();
    process.disconnect?.();
    setTimeout(() => process.exit(0), 100).unref();
  }
});
process.send?.({ type: 'ready' });
