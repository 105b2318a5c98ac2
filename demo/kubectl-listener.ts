// The demo's HTTPS listener for kubectl (client-go sends bearer tokens only over TLS): a CA made at start with the
// openssl CLI, a serving certificate for 127.0.0.1/localhost signed by it, and every request and upgrade handed to
// the same butler-server app as its HTTP listener. Kubeconfigs downloaded in the demo point here and embed the CA.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';

export interface DemoCa {
  /** Folder holding ca.pem (kept while the demo runs, for BUTLER_PUBLIC_CA_FILE). */
  dir: string;
  caFile: string;
  ca: string;
  cert: string;
  key: string;
}

const openssl = (args: string[], cwd: string) =>
  execFileSync('openssl', args, { cwd, stdio: 'ignore', timeout: 20_000 });

/** A CA and a serving certificate for `hosts` (IP addresses or DNS names), valid for 30 days. */
export function generateDemoCa(hosts: string[]): DemoCa {
  const dir = mkdtempSync(join(tmpdir(), 'butler-demo-ca-'));
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(
      [
        'req',
        '-x509',
        ...ec,
        '-days',
        '30',
        '-subj',
        '/CN=butler-demo-ca',
        '-keyout',
        'ca.key',
        '-out',
        'ca.pem',
      ].concat(['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']),
      dir,
    );
    openssl(['req', '-new', ...ec, '-subj', '/CN=butler-demo', '-keyout', 'key.pem', '-out', 'req.csr'], dir);
    const san = [...new Set(['127.0.0.1', 'localhost', ...hosts])]
      .map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`))
      .join(',');
    writeFileSync(
      join(dir, 'ext.cnf'),
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`,
    );
    openssl(
      ['x509', '-req', '-in', 'req.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30'].concat([
        '-extfile',
        'ext.cnf',
        '-out',
        'cert.pem',
      ]),
      dir,
    );
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    const result = {
      dir,
      caFile: join(dir, 'ca.pem'),
      ca: read('ca.pem'),
      cert: read('cert.pem'),
      key: read('key.pem'),
    };
    for (const f of ['ca.key', 'key.pem', 'req.csr', 'ext.cnf', 'ca.srl']) rmSync(join(dir, f), { force: true });
    return result;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not make the demo's kubectl certificate with openssl: ${(err as Error).message}`);
  }
}

export interface KubectlListener {
  port: number;
  /** Hands requests to `app` from now on (until then they get 503). */
  serve(app: FastifyInstance): void;
  close(): Promise<void>;
}

export async function startKubectlListener(ca: DemoCa, host: string, port: number): Promise<KubectlListener> {
  let target: FastifyInstance | undefined;
  const server: Server = createServer({ cert: `${ca.cert}${ca.ca}`, key: ca.key }, (req, res) => {
    if (target) target.server.emit('request', req, res);
    else res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"starting"}');
  });
  // Upgrades (kubectl exec, attach, port-forward) take the same way as on the HTTP listener.
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    if (target) target.server.emit('upgrade', req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: address !== null && typeof address === 'object' ? address.port : port,
    serve(app) {
      target = app;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
