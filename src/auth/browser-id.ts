// The pre-login browser cookie: a random id (128 bits, no meaning, grants nothing) that a browser carries before it
// has a session. The console opens /ws/clusters on its login page and only reconnects when that socket closes; the
// login of the same browser closes its anonymous sockets (4401), so the reconnect carries the new session at once.
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/types.js';
import { isHttpsRequest } from '../http/origin.js';

export const BROWSER_COOKIE = 'butler_browser';
const BROWSER_ID = /^[0-9a-f]{32}$/;

/** The request's browser id when it carries a well-formed one. */
export function browserIdOf(request: FastifyRequest): string | undefined {
  const value = request.cookies?.[BROWSER_COOKIE];
  return value !== undefined && BROWSER_ID.test(value) ? value : undefined;
}

export const newBrowserId = (): string => randomBytes(16).toString('hex');

/** Lax, not Strict: the cookie must also come along when the console is opened from a link on another site. */
function attributes(request: FastifyRequest, config: Config) {
  const secure =
    config.auth.cookieSecure === 'true' || (config.auth.cookieSecure === 'auto' && isHttpsRequest(request, config));
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure };
}

export function setBrowserCookie(reply: FastifyReply, request: FastifyRequest, config: Config, id: string): void {
  reply.setCookie(BROWSER_COOKIE, id, attributes(request, config));
}

/** The Set-Cookie header value for an answer that does not go through a reply (the WebSocket upgrade). */
export function browserCookieHeader(request: FastifyRequest, config: Config, id: string): string {
  return request.server.serializeCookie(BROWSER_COOKIE, id, attributes(request, config));
}
