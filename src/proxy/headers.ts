// Which headers cross the proxy. The caller's credentials and identity claims never reach the cluster, and
// the cluster never sets cookies on butler-server's origin.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus the ones this proxy sets itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
  'http2-settings',
]);

/** The caller's credentials and browser context: never forwarded. */
const CALLER_ONLY = new Set(['authorization', 'cookie', 'origin', 'referer']);

/** Identity assertions an API server may trust from an authenticating proxy. */
const IDENTITY_PREFIXES = ['impersonate-', 'x-remote-'];

function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  const value = headers.connection;
  const list = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    list
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}

function joined(value: string | string[]): string {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Request headers to send upstream (lower-case names), without the caller's credentials, identity or hop-by-hop headers. */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const named = connectionTokens(headers);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const n = name.toLowerCase();
    if (HOP_BY_HOP.has(n) || CALLER_ONLY.has(n) || named.has(n)) continue;
    if (IDENTITY_PREFIXES.some((p) => n.startsWith(p))) continue;
    if (n.startsWith('x-forwarded-') || n === 'forwarded') continue;
    out[n] = joined(value);
  }
  return out;
}

/** Response headers to pass back to the caller: no hop-by-hop headers and no Set-Cookie. */
export function downstreamResponseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = connectionTokens(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const n = name.toLowerCase();
    if (HOP_BY_HOP.has(n) || named.has(n) || n === 'set-cookie') continue;
    out[n] = value;
  }
  return out;
}

/**
 * The header block of an upstream 101 answer, relayed to the caller as is (the WebSocket accept key and the
 * negotiated subprotocol are the upstream's), without Set-Cookie.
 */
export function switchingProtocolsHead(statusMessage: string | undefined, rawHeaders: string[]): string {
  const lines = [`HTTP/1.1 101 ${statusMessage || 'Switching Protocols'}`];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.toLowerCase() === 'set-cookie') continue;
    lines.push(`${name}: ${rawHeaders[i + 1]!}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}
