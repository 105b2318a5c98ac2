// One guarded outbound HTTP(S) request for provider checks: resolve once, check every address, connect to a
// checked address (no second lookup), one deadline for DNS + connect + TLS + body, no redirects, capped body.
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { AddressGuard } from '../net/address-guard.js';
import { parseIp } from '../net/ip.js';

export const MAX_RESPONSE_BYTES = 1024 * 1024;

export type FailureReason = 'ConnectionFailed' | 'TLSError' | 'Blocked';

/** A check that ended before an HTTP answer; the message is safe to show (no credentials, no bodies). */
export class OutboundFailure extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'OutboundFailure';
  }
}

export interface OutboundTls {
  insecure: boolean;
  /** PEM CA bundle; system CAs when absent. */
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
}

export interface OutboundRequest {
  url: URL;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  tls: OutboundTls;
  guard: AddressGuard;
}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

function timeoutMessage(timeoutMs: number): string {
  return `connection failed: no answer within ${Math.round(timeoutMs / 1000)} s`;
}

function mapSocketError(err: NodeJS.ErrnoException, hostPort: string): OutboundFailure {
  const code = err.code ?? '';
  if (
    TLS_CODES.has(code) ||
    code.startsWith('ERR_SSL') ||
    code.startsWith('ERR_TLS') ||
    /certificate/i.test(err.message)
  )
    return new OutboundFailure(
      'TLSError',
      `TLS verification failed: ${err.message}; enable insecure only for a trusted network`,
    );
  switch (code) {
    case 'ECONNREFUSED':
      return new OutboundFailure('ConnectionFailed', `connection failed: ${hostPort} refused the connection`);
    case 'ECONNRESET':
    case 'EPIPE':
      return new OutboundFailure('ConnectionFailed', `connection failed: ${hostPort} reset the connection`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new OutboundFailure('ConnectionFailed', `connection failed: ${hostPort} is unreachable`);
    default:
      return new OutboundFailure(
        'ConnectionFailed',
        `connection failed: ${hostPort} could not be reached (${code || 'error'})`,
      );
  }
}

async function resolveChecked(host: string, guard: AddressGuard, signal: AbortSignal) {
  const literal = parseIp(host.replace(/^\[|\]$/g, ''));
  let addresses: { address: string; family: number }[];
  if (literal) addresses = [{ address: host.replace(/^\[|\]$/g, ''), family: literal.family }];
  else {
    try {
      addresses = await Promise.race([
        lookup(host, { all: true, verbatim: true }),
        new Promise<never>((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
        ),
      ]);
    } catch (err) {
      if (signal.aborted) throw err;
      throw new OutboundFailure('ConnectionFailed', `connection failed: cannot resolve ${host}`);
    }
    if (addresses.length === 0)
      throw new OutboundFailure('ConnectionFailed', `connection failed: cannot resolve ${host}`);
  }
  for (const a of addresses) {
    const verdict = guard.check(a.address);
    if (!verdict.allowed)
      throw new OutboundFailure(
        'Blocked',
        `endpoint address ${a.address} is not allowed (blocked range ${verdict.range})`,
      );
  }
  return addresses[0]!;
}

/** Performs the request; resolves with the answer (any status) or rejects with OutboundFailure. */
export async function outboundRequest(req: OutboundRequest): Promise<OutboundResponse> {
  const controller = new AbortController();
  const timeoutError = new OutboundFailure('ConnectionFailed', timeoutMessage(req.timeoutMs));
  const timer = setTimeout(() => controller.abort(timeoutError), req.timeoutMs);
  const host = req.url.hostname;
  const isHttps = req.url.protocol === 'https:';
  const port = Number(req.url.port) || (isHttps ? 443 : 80);
  const hostPort = `${host}:${port}`;
  try {
    const target = await resolveChecked(host, req.guard, controller.signal);
    const pinnedLookup: LookupFunction = (_hostname, options, callback) => {
      const cb = callback as unknown as (...args: unknown[]) => void;
      if ((options as { all?: boolean }).all) cb(null, [{ address: target.address, family: target.family }]);
      else cb(null, target.address, target.family);
    };
    const bareHost = host.replace(/^\[|\]$/g, '');
    const options: https.RequestOptions = {
      method: req.method,
      host: bareHost,
      port,
      path: `${req.url.pathname}${req.url.search}`,
      headers: {
        ...req.headers,
        ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}),
      },
      lookup: pinnedLookup,
      agent: false,
      signal: controller.signal,
    };
    if (isHttps) {
      options.rejectUnauthorized = !req.tls.insecure;
      if (req.tls.ca) options.ca = req.tls.ca;
      if (req.tls.cert) options.cert = req.tls.cert;
      if (req.tls.key) options.key = req.tls.key;
      const sni = req.tls.servername ?? (parseIp(bareHost) ? undefined : bareHost);
      if (sni) options.servername = sni;
    }
    return await new Promise<OutboundResponse>((resolve, reject) => {
      const fail = (err: unknown) => {
        if (controller.signal.aborted) reject(controller.signal.reason);
        else if (err instanceof OutboundFailure) reject(err);
        else reject(mapSocketError(err as NodeJS.ErrnoException, hostPort));
      };
      const request = (isHttps ? https : http).request(options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy();
            request.destroy();
            reject(new OutboundFailure('ConnectionFailed', 'response too large'));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', fail);
      });
      request.on('error', fail);
      request.end(req.body);
    });
  } catch (err) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
