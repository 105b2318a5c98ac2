// The floor for bench/live.bench.ts: a minimal `ws` broadcast server (no auth, no cache, no backpressure), in its
// own process like butler-server. It sends each broadcast, serialised once, to every client.
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('listening', () => {
  const address = wss.address();
  process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
});

process.on('message', (m: { cmd: 'broadcast'; text: string } | { cmd: 'close' }) => {
  if (m.cmd === 'broadcast') {
    const frame = Buffer.from(m.text);
    for (const client of wss.clients) client.send(frame, { binary: false });
  } else {
    for (const client of wss.clients) client.terminate();
    wss.close(() => process.exit(0));
  }
});
