// A self-signed serving certificate for 127.0.0.1, made once per process with the openssl CLI.
// kubectl (client-go) sends bearer tokens only over TLS, so the kubeconfig points at https.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServingCert {
  key: string;
  cert: string;
}

let cached: ServingCert | null | undefined;

/** The certificate, or null when openssl is not available (the kubeconfig then uses plain http). */
export function servingCert(): ServingCert | null {
  if (cached !== undefined) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'butler-sim-tls-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '3650',
        '-subj',
        '/CN=butler-sim',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        keyPath,
        '-out',
        certPath,
      ],
      { stdio: 'ignore', timeout: 20_000 },
    );
    cached = { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
  } catch {
    cached = null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return cached;
}
