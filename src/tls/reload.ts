// HTTPS certificate rotation without restart (BUTLER_TLS_CERT_FILE / BUTLER_TLS_KEY_FILE, e.g. from cert-manager):
// the files are polled, and a changed, valid pair replaces the server's secure context; existing connections keep
// theirs, new ones get the new certificate. Polling (not fs.watch) because Kubernetes Secret volumes swap a
// symlinked directory, which file watches miss.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Server as HttpsServer } from 'node:https';
import { createSecureContext } from 'node:tls';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TlsReloadLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface TlsReloader {
  /** Checks the files now; resolves true when a new pair was installed. */
  check(): Promise<boolean>;
  close(): void;
}

export const DEFAULT_TLS_POLL_MS = 2_000;

export function watchTlsFiles(
  server: Pick<HttpsServer, 'setSecureContext'>,
  files: TlsFiles,
  log: TlsReloadLog,
  opts: { intervalMs?: number; initial?: { cert: Buffer; key: Buffer } } = {},
): TlsReloader {
  const fingerprint = (cert: Buffer, key: Buffer) =>
    createHash('sha256').update(cert).update('\0').update(key).digest('hex');
  let current = opts.initial ? fingerprint(opts.initial.cert, opts.initial.key) : '';
  let lastError = '';
  let running: Promise<boolean> | undefined;

  const check = async (): Promise<boolean> => {
    let cert: Buffer;
    let key: Buffer;
    try {
      [cert, key] = await Promise.all([readFile(files.certFile), readFile(files.keyFile)]);
    } catch (err) {
      report(`TLS files unreadable: ${(err as Error).message}`);
      return false;
    }
    const fp = fingerprint(cert, key);
    if (fp === current) return false;
    try {
      // A pair caught in the middle of a rotation (new cert, old key) is refused here and retried next time.
      createSecureContext({ cert, key });
    } catch (err) {
      report(`TLS certificate and key do not form a valid pair yet: ${(err as Error).message}`);
      return false;
    }
    server.setSecureContext({ cert, key });
    current = fp;
    lastError = '';
    log.info({ certFile: files.certFile }, 'TLS certificate reloaded');
    return true;
  };

  function report(message: string) {
    if (message === lastError) return;
    lastError = message;
    log.warn({ certFile: files.certFile, keyFile: files.keyFile }, message);
  }

  const serialized = () => (running ??= check().finally(() => (running = undefined)));
  const timer = setInterval(() => void serialized(), opts.intervalMs ?? DEFAULT_TLS_POLL_MS);
  timer.unref();
  return { check: serialized, close: () => clearInterval(timer) };
}
