// The floor for bench/terminal-pod.bench.ts: the same processes and hops as a pod-mode terminal, with nothing but the
// relaying. `pty` mode is a TLS WebSocket server that runs `sh` on a PTY per connection (what the simulator's kubelet
// and API server do); `relay` mode is a WebSocket server that takes the browser's JSON frames and relays them over TLS
// to the `pty` process, with one channel byte in front as the exec protocol has (what butler-server does). No auth,
// no sessions, no recording, no coalescing, no backpressure.
//
// Run by the bench: node --import tsx bench/terminal-floor-hop.ts pty|relay [ptyPort]; prints the port it listens on.
import { createServer } from 'node:https';
import pty from 'node-pty';
import WebSocket, { WebSocketServer } from 'ws';
import { generateSelfSignedCert } from '../sim/tls.js';

const mode = process.argv[2];

function announce(wss: WebSocketServer): void {
  wss.on('listening', () => {
    const address = wss.address();
    process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
  });
}

if (mode === 'pty') {
  const cert = generateSelfSignedCert({ cn: 'floor', subjectAltName: 'IP:127.0.0.1', days: 1 });
  const server = createServer({ key: cert.key, cert: cert.cert });
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    const shell = pty.spawn('/bin/sh', [], {
      name: 'xterm-256color',
      cols: 80,
      rows: 24,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PS1: '$ ', HOME: '/tmp' },
      encoding: null,
    });
    shell.onData((d: string | Buffer) => ws.send(Buffer.concat([Buffer.of(1), Buffer.from(d)])));
    ws.on('message', (d: Buffer) => shell.write(d.subarray(1) as unknown as string));
    ws.on('close', () => shell.kill('SIGKILL'));
  });
  server.listen(0, '127.0.0.1', () => wss.emit('listening'));
  announce(wss);
} else if (mode === 'relay') {
  const ptyPort = process.argv[3];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('connection', (browser) => {
    const upstream = new WebSocket(`wss://127.0.0.1:${ptyPort}/`, {
      rejectUnauthorized: false,
      perMessageDeflate: false,
    });
    const early: Buffer[] = [];
    upstream.on('open', () => early.splice(0).forEach((b) => upstream.send(b)));
    upstream.on('message', (d: Buffer) => browser.send(d.subarray(1).toString('utf8')));
    upstream.on('close', () => browser.close());
    browser.on('message', (d: Buffer) => {
      const frame = JSON.parse(d.toString('utf8')) as { type: string; data?: string };
      if (frame.type !== 'data' || !frame.data) return;
      const bytes = Buffer.concat([Buffer.of(0), Buffer.from(frame.data)]);
      if (upstream.readyState === WebSocket.OPEN) upstream.send(bytes);
      else early.push(bytes);
    });
    browser.on('close', () => upstream.close());
  });
  announce(wss);
} else {
  process.stderr.write('usage: terminal-floor-hop.ts pty|relay [ptyPort]\n');
  process.exit(2);
}
