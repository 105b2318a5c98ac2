// Self-signed certificates made with the openssl CLI: the simulator's serving certificate for 127.0.0.1 (once per
// process), and the generator itself, which tests share.
// kubectl (client-go) sends bearer tokens only over TLS, so the kubeconfig points at https.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface ServingCert {
  key: string;
  cert: string;
}

let cached: ServingCert | null | undefined;

export interface CertOptions {
  cn: string;
  subjectAltName?: string;
  days: number;
  /** Further subject attributes after CN, e.g. `/O=system:masters`. */
  subjectSuffix?: string;
  /** Signs with this CA instead of self-signing; the result is then a leaf (CA:FALSE). */
  issuer?: ServingCert;
}

/** The openssl arguments for `opts`, writing the issuer's files into `dir`. */
function certArgs(opts: CertOptions, dir: string): string[] {
  const extra: string[] = [];
  if (opts.subjectAltName) extra.push('-addext', `subjectAltName=${opts.subjectAltName}`);
  if (opts.issuer) {
    writeFileSync(join(dir, 'ca.pem'), opts.issuer.cert);
    writeFileSync(join(dir, 'ca-key.pem'), opts.issuer.key, { mode: 0o600 });
    extra.push('-addext', 'basicConstraints=critical,CA:FALSE');
    extra.push('-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca-key.pem'));
  }
  return [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    String(opts.days),
    '-subj',
    `/CN=${opts.cn}${opts.subjectSuffix ?? ''}`,
    ...extra,
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
  ];
}

const readResult = (dir: string): ServingCert => ({
  key: readFileSync(join(dir, 'key.pem'), 'utf8'),
  cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
});

/** An EC certificate made with the openssl CLI, self-signed or issued by `issuer`; throws when openssl fails. */
export function generateSelfSignedCert(opts: CertOptions): ServingCert {
  const dir = mkdtempSync(join(tmpdir(), 'butler-tls-'));
  try {
    execFileSync('openssl', certArgs(opts, dir), { stdio: 'ignore', timeout: 20_000 });
    return readResult(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** generateSelfSignedCert without blocking the event loop (openssl runs as a child process). */
export async function generateCert(opts: CertOptions): Promise<ServingCert> {
  const dir = mkdtempSync(join(tmpdir(), 'butler-tls-'));
  try {
    await execFileAsync('openssl', certArgs(opts, dir), { timeout: 20_000 });
    return readResult(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The certificate, or null when openssl is not available (the kubeconfig then uses plain http). */
export function servingCert(): ServingCert | null {
  if (cached !== undefined) return cached;
  try {
    cached = generateSelfSignedCert({ cn: 'butler-sim', subjectAltName: 'IP:127.0.0.1,DNS:localhost', days: 3650 });
  } catch {
    cached = null;
  }
  return cached;
}
