// A minimal stand-in kubelet for pod exec on a real kube-apiserver that has no kubelet: the API server
// proxies `pods/exec` to https://<node InternalIP>:<kubeletEndpoint.Port>/exec/{ns}/{pod}/{container}
// (query: command, input, output, error, tty), and this server runs the command as a local process and speaks
// the kubelet's WebSocket framing for v4.channel.k8s.io (channel byte 0 stdin, 1 stdout, 2 stderr, 3 status).
// It listens on 127.0.0.1 only, with a throwaway self-signed certificate (the API server does not verify
// kubelet certificates unless --kubelet-certificate-authority is set).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

export const standInProtocols = ['v4.channel.k8s.io', 'channel.k8s.io'];

export interface StandInKubelet {
  port: number;
  /** Request paths the API server sent us, for assertions on the proxying. */
  paths: string[];
  stop(): Promise<void>;
}

function selfSignedCert(dir: string): { key: Buffer; cert: Buffer } {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore', timeout: 20000 },
  );
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
}

function frame(channel: number, data: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from([channel]), Buffer.isBuffer(data) ? data : Buffer.from(data)]);
}

function runExec(ws: WebSocket, query: URLSearchParams, cwd: string): void {
  const command = query.getAll('command');
  const child = spawn(command[0], command.slice(1), { cwd, stdio: 'pipe' });
  const on = (name: string) => query.get(name) === '1' || query.get(name) === 'true';
  if (on('output')) child.stdout.on('data', (d: Buffer) => ws.send(frame(1, d)));
  else child.stdout.resume();
  if (on('error')) child.stderr.on('data', (d: Buffer) => ws.send(frame(2, d)));
  else child.stderr.resume();
  if (!on('input')) child.stdin.end();
  child.stdin.on('error', () => undefined);
  ws.on('message', (data: Buffer) => {
    if (data.length > 0 && data[0] === 0) child.stdin.write(data.subarray(1));
  });
  ws.on('close', () => child.kill('SIGKILL'));
  child.on('error', (err) => {
    ws.send(frame(3, JSON.stringify({ metadata: {}, status: 'Failure', message: err.message })));
    ws.close(1000);
  });
  child.on('close', (code) => {
    const status =
      code === 0
        ? { metadata: {}, status: 'Success' }
        : {
            metadata: {},
            status: 'Failure',
            message: `command terminated with non-zero exit code: exit status ${code}`,
            reason: 'NonZeroExitCode',
            details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
          };
    ws.send(frame(3, JSON.stringify(status)));
    ws.close(1000);
  });
}

export async function startStandInKubelet(): Promise<StandInKubelet> {
  const dir = mkdtempSync(join(tmpdir(), 'conformance-kubelet-'));
  try {
    const server = https.createServer(selfSignedCert(dir), (_req, res) => {
      res.writeHead(404).end();
    });
    const paths: string[] = [];
    const wss = new WebSocketServer({
      noServer: true,
      handleProtocols: (offered) => standInProtocols.find((p) => offered.has(p)) ?? false,
    });
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      paths.push(url.pathname + url.search);
      if (!/^\/exec\/[^/]+\/[^/]+\/[^/]+$/.test(url.pathname)) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => runExec(ws, url.searchParams, dir));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    return {
      port,
      paths,
      stop: async () => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
