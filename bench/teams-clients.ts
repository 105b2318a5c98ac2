// Load generator for the /ws/clusters team fan-out in bench/teams.bench.ts, forked as a separate process: opens
// sockets as members of given teams and reports, per marked change, when each socket received it and its team.
//
// Protocol (IPC): parent → { cmd: 'connect', url, groups: [{team, cookie, count}] } → child → { type: 'connected', open, failed }
//                 parent → { cmd: 'report', seq } → child → { type: 'arrived', seq, arrivals: [{team, t}] }
//                 parent → { cmd: 'close' }
import WebSocket from 'ws';

type Group = { team: string; cookie: string; count: number };
type Command = { cmd: 'connect'; url: string; groups: Group[] } | { cmd: 'report'; seq: number } | { cmd: 'close' };

const MARKER = /"bench-seq":"(\d+)"/;
const BATCH = 200;
const now = () => performance.timeOrigin + performance.now();
const sockets: WebSocket[] = [];
const arrivals = new Map<number, { team: string; t: number }[]>();

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
      ws.on('message', (data) => {
        const t = now();
        const m = MARKER.exec(data.toString());
        if (!m) return;
        const seq = Number(m[1]);
        let list = arrivals.get(seq);
        if (!list) arrivals.set(seq, (list = []));
        list.push({ team: g.team, t });
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
  } else if (m.cmd === 'report') {
    process.send?.({ type: 'arrived', seq: m.seq, arrivals: arrivals.get(m.seq) ?? [] });
  } else {
    for (const ws of sockets) ws.terminate();
    process.disconnect?.();
    setTimeout(() => process.exit(0), 100).unref();
  }
});
process.send?.({ type: 'ready' });
