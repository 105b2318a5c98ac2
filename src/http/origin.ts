// Origin checks (docs/api.md §6.1): the server's own origin as the client sees it, or BUTLER_ALLOWED_ORIGINS.
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/types.js';

function firstHeader(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  const first = s?.split(',')[0]?.trim();
  return first || undefined;
}

/** `scheme://host[:port]` with the scheme and host lower-cased and default ports dropped; undefined when unparsable. */
export function normalizeOrigin(value: string): string | undefined {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return u.origin;
  } catch {
    return undefined;
  }
}

/** Whether the request reached us over HTTPS (directly, or per X-Forwarded-Proto from a trusted proxy). */
export function isHttpsRequest(request: FastifyRequest, config: Config): boolean {
  if (config.http.trustProxy) {
    const proto = firstHeader(request.headers['x-forwarded-proto']);
    if (proto) return proto.toLowerCase() === 'https';
  }
  return Boolean((request.raw.socket as TLSSocket).encrypted);
}

/** The server's own origin as the client sees it, or undefined without a usable Host. */
export function ownOrigin(request: FastifyRequest, config: Config): string | undefined {
  const scheme = isHttpsRequest(request, config) ? 'https' : 'http';
  const host =
    (config.http.trustProxy ? firstHeader(request.headers['x-forwarded-host']) : undefined) ?? request.headers.host;
  if (!host || /[\s/?#@\\]/.test(host)) return undefined;
  return normalizeOrigin(`${scheme}://${host}`);
}

/** The origin the browser declared: the Origin header, else the origin of the Referer. */
export function requestOrigin(request: FastifyRequest): string | undefined {
  const origin = firstHeader(request.headers.origin);
  if (origin) return origin;
  const referer = firstHeader(request.headers.referer);
  if (!referer) return undefined;
  return normalizeOrigin(referer) ?? 'null';
}

/** Whether this origin string is allowed for the request (the own origin or BUTLER_ALLOWED_ORIGINS). */
export function isAllowedOriginValue(origin: string, request: FastifyRequest, config: Config): boolean {
  const normalized = normalizeOrigin(origin);
  if (!normalized) return false;
  if (normalized === ownOrigin(request, config)) return true;
  return config.http.allowedOrigins.some((o) => normalizeOrigin(o) === normalized);
}

/**
 * True when the request carries an Origin (or, without one, a Referer) that is allowed. A request with neither
 * is NOT allowed here; WebSocket upgrades, where a missing Origin means "not a browser", check
 * `request.headers.origin === undefined || isAllowedOrigin(request, config)`.
 */
export function isAllowedOrigin(request: FastifyRequest, config: Config): boolean {
  const origin = requestOrigin(request);
  return origin !== undefined && isAllowedOriginValue(origin, request, config);
}
