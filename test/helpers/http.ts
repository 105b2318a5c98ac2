// Raw HTTP requests: the path is sent exactly as given (no URL normalisation), any headers, any body.

import http from 'node:http';
import net from 'node:net';

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  /** The body parsed as JSON, or undefined. */
  json: any;
}

export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {},
): Promise<RawAnswer> {
  const base = new URL(baseUrl);
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) headers['content-length'] ??= String(Buffer.byteLength(opts.body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: base.hostname, port: base.port, method, path, headers, agent: false, timeout: opts.timeoutMs ?? 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within the timeout`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface RawConnection {
  write(data: string | Buffer): void;
  /** Everything the server sent, parsed as one HTTP answer, once it closed the connection. */
  closed: Promise<RawAnswer & { raw: string; closedAfterMs: number }>;
  destroy(): void;
}

/** A TCP connection on which the test writes bytes as it likes (malformed or slow requests). */
export function rawConnection(baseUrl: string): Promise<RawConnection> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: base.hostname, port: Number(base.port) });
    const chunks: Buffer[] = [];
    const opened = Date.now();
    socket.on('data', (c: Buffer) => chunks.push(c));
    const closed = new Promise<RawAnswer & { raw: string; closedAfterMs: number }>((done) => {
      socket.once('close', () => done({ ...parseAnswer(Buffer.concat(chunks)), closedAfterMs: Date.now() - opened }));
    });
    socket.once('error', () => undefined);
    socket.once('connect', () => resolve({ write: (d) => socket.write(d), closed, destroy: () => socket.destroy() }));
    socket.once('error', reject);
  });
}

function parseAnswer(bytes: Buffer): RawAnswer & { raw: string } {
  const raw = bytes.toString('utf8');
  const end = raw.indexOf('\r\n\r\n');
  const head = end === -1 ? raw : raw.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: http.IncomingHttpHeaders = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const text = end === -1 ? '' : raw.slice(end + 4);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  return { status, headers, body: Buffer.from(text), text, json, raw };
}
