// Test support: a loopback HTTPS server with a freshly generated self-signed certificate (openssl), used to
// exercise provider checks with verified-TLS failures and `insecure` successes.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateSelfSignedCert, type ServingCert } from '../../sim/tls.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface TlsTestServer {
  url: string;
  port: number;
  cert: Buffer;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

let cached: ServingCert | undefined;

/** Starts an HTTPS server on 127.0.0.1:0; `handler` gets the request with its body already read. */
export async function startTlsServer(
  handler: (req: RecordedRequest, res: ServerResponse) => void,
): Promise<TlsTestServer> {
  cached ??= generateSelfSignedCert({ cn: 'localhost', subjectAltName: 'DNS:localhost,IP:127.0.0.1', days: 1 });
  const requests: RecordedRequest[] = [];
  const server = https.createServer({ cert: cached.cert, key: cached.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      requests.push(recorded);
      handler(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    cert: Buffer.from(cached.cert),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
