// Sessions for the whole app: session resolution (cookie `butler_session`, else Bearer), the principal of every
// request (src/identity/principal.ts), the 401/403/503 gate for /api and /ws and the CSRF rule. The /api/auth routes
// are in src/identity/auth-routes.ts.
import fp from 'fastify-plugin';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/types.js';
import { forbidden, HttpError, serviceUnavailable, unauthorized } from '../http/errors.js';
import { isAllowedOrigin, isHttpsRequest } from '../http/origin.js';
import type { Principal, PrincipalResolver, PrincipalResult } from '../identity/principal.js';
import { browserIdOf, newBrowserId, setBrowserCookie } from './browser-id.js';
import type { RevocationStore } from './revocations.js';
import {
  createTokenService,
  LEGACY_SESSION_COOKIE,
  SESSION_COOKIE,
  type Session,
  type TokenService,
} from './session.js';

export interface AuthPluginOptions {
  config: Config;
  services: {
    revocations: RevocationStore;
    identity: { resolver: PrincipalResolver; readonly synced: boolean };
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated session, or null (public routes, or before the auth hook ran). */
    session: Session | null;
    /** Who the session's user is now (platform role, teams, selected team), or null without a usable session. */
    principal: Principal | null;
    /** Why a valid session has no principal (disabled or deleted user), for routes that decide themselves. */
    principalRefusal: { status: 401 | 403; error: string } | null;
  }
  interface FastifyInstance {
    /** Token verification, the revocation store and the principal resolver, for other plugins. */
    butlerAuth: {
      tokens: TokenService;
      revocations: RevocationStore;
      resolver: PrincipalResolver;
      /** Calls `listener` with the pre-login browser id of every answer that starts a session, once it is sent. */
      onBrowserLogin(listener: (browserId: string) => void): void;
    };
  }
}

export const LOGIN_PATH = '/api/auth/login';
export const LOGOUT_PATH = '/api/auth/logout';
/** Reachable without a session: logging in, the login page's provider list, invites and SSO. */
export const PUBLIC_API_PATHS = new Set([
  LOGIN_PATH,
  '/api/auth/login/legacy',
  '/api/auth/providers',
  '/api/auth/login/sso',
  '/api/auth/callback',
  '/api/auth/set-password',
]);
const PUBLIC_API_PREFIXES = ['/api/auth/invite/'];
/** Public in the data-less mode: the route itself refuses data without a session. */
export const PUBLIC_WEBSOCKETS = new Set(['/ws/clusters']);
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const MESSAGES = {
  missing: 'unauthorized',
  invalid: 'invalid session',
  revoked: 'session revoked; please log in again',
} as const;

type Resolution =
  | { kind: 'none' }
  | { kind: 'invalid' | 'revoked' | 'not-ready'; source: Session['source'] }
  | { kind: 'ok'; session: Session };

/** Path without query, percent-decoded (the raw form when it does not decode). */
function decodedPath(url: string): string {
  const path = url.split('?')[0] ?? '';
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** The decoded path with repeated slashes collapsed, for deciding which space a path belongs to. */
function normalizedPath(url: string): string {
  return decodedPath(url).replace(/\/{2,}/g, '/');
}

const inSpace = (p: string, space: string) => p === space || p.startsWith(`${space}/`);

export const PROXY_SPACE = '/api/proxy';
const isProxyPath = (url: string) => inSpace(normalizedPath(url), PROXY_SPACE);

/**
 * Whether a path (or route pattern) needs a session. Public are exactly the public auth paths and the public WebSockets:
 * near misses (`/ws/clusters/`, `/ws//clusters`) are unknown paths like any other and answer 401 before anything else.
 */
export function requiresSession(path: string): boolean {
  const exact = decodedPath(path);
  if (PUBLIC_API_PATHS.has(exact) || PUBLIC_WEBSOCKETS.has(exact)) return false;
  if (PUBLIC_API_PREFIXES.some((x) => exact.startsWith(x) && !exact.slice(x.length).includes('/'))) return false;
  const p = normalizedPath(path);
  return inSpace(p, '/api') || inSpace(p, '/ws');
}

function isTerminalUpgrade(request: FastifyRequest): boolean {
  const upgrade = request.headers.upgrade;
  return (
    request.method === 'GET' &&
    typeof upgrade === 'string' &&
    upgrade.toLowerCase() === 'websocket' &&
    inSpace(normalizedPath(request.url), '/ws/terminal')
  );
}

function bearerToken(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(h);
  return m?.[1];
}

export function cookieOptions(request: FastifyRequest, config: Config) {
  const secure =
    config.auth.cookieSecure === 'true' || (config.auth.cookieSecure === 'auto' && isHttpsRequest(request, config));
  // Lax, not Strict: the SSO callback sets it on a cross-site redirect. Cross-site writes are refused by the Origin rule.
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure };
}

/** Sets the session cookie; a stale cookie of the first server version is cleared on the way. */
export function setSessionCookie(reply: FastifyReply, request: FastifyRequest, config: Config, token: string) {
  const maxAge = Math.max(1, Math.round(config.auth.tokenTtlMs / 1000));
  reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions(request, config), maxAge });
  if (request.cookies?.[LEGACY_SESSION_COOKIE] !== undefined)
    reply.setCookie(LEGACY_SESSION_COOKIE, '', { ...cookieOptions(request, config), maxAge: 0, expires: new Date(0) });
}

export function clearSessionCookie(reply: FastifyReply, request: FastifyRequest, config: Config) {
  reply.setCookie(SESSION_COOKIE, '', { ...cookieOptions(request, config), maxAge: 0, expires: new Date(0) });
}

async function resolve(request: FastifyRequest, tokens: TokenService, store: RevocationStore): Promise<Resolution> {
  const fromCookie = request.cookies?.[SESSION_COOKIE];
  const source: Session['source'] = fromCookie ? 'cookie' : 'bearer';
  const token = fromCookie || bearerToken(request);
  if (!token) return { kind: 'none' };
  const claims = await tokens.verify(token);
  if (!claims) return { kind: 'invalid', source };
  // A kubectl token works only where kubectl sends it: as a Bearer header to the Kubernetes API proxy.
  if (claims.kind === 'kubectl' && (source === 'cookie' || !isProxyPath(request.url))) {
    return { kind: 'invalid', source };
  }
  if (!store.synced) return { kind: 'not-ready', source };
  if (store.isSessionRevoked(claims)) return { kind: 'revoked', source };
  return { kind: 'ok', session: { ...claims, source } };
}

/** The session of a request (set by the auth hook for every route, public ones included), or null. */
export function sessionFromRequest(request: FastifyRequest): Session | null {
  return request.session ?? null;
}

/**
 * Resolves the session of a request from its cookie or Bearer header without answering anything, e.g. for
 * WebSocket routes that decide themselves (the data-less mode of /ws/clusters).
 */
export async function authenticateRequest(request: FastifyRequest): Promise<Session | null> {
  const deps = request.server.butlerAuth;
  const r = await resolve(request, deps.tokens, deps.revocations);
  return r.kind === 'ok' ? r.session : null;
}

async function authPluginImpl(fastify: FastifyInstance, opts: AuthPluginOptions): Promise<void> {
  const { config } = opts;
  const store = opts.services.revocations;
  const { identity } = opts.services;
  const tokens = createTokenService(config);
  const loginListeners: ((browserId: string) => void)[] = [];
  fastify.decorate('butlerAuth', {
    tokens,
    revocations: store,
    resolver: identity.resolver,
    onBrowserLogin: (listener: (browserId: string) => void) => void loginListeners.push(listener),
  });

  if (!fastify.hasRequestDecorator('cookies')) await fastify.register(cookie);
  fastify.decorateRequest('session', null);
  fastify.decorateRequest('principal', null);
  fastify.decorateRequest('principalRefusal', null);
  fastify.addHook('onRequest', async (request, reply) => {
    let r = await resolve(request, tokens, store);
    if (r.kind === 'ok' && !identity.synced) r = { kind: 'not-ready', source: r.session.source };
    request.session = r.kind === 'ok' ? r.session : null;
    if (r.kind === 'ok') {
      const p: PrincipalResult = identity.resolver.resolve(r.session, request.headers['x-butler-team']);
      request.principal = p.ok ? p.principal : null;
      request.principalRefusal = p.ok ? null : { status: p.status, error: p.error };
    }
    const routeUrl = request.routeOptions.url;
    const isProtected = requiresSession(request.url) || (routeUrl !== undefined && requiresSession(routeUrl));
    const unsafe = UNSAFE_METHODS.has(request.method);

    if (!isProtected) {
      // Login CSRF: a browser on another site must not be able to log a victim in.
      if (unsafe && request.headers.origin !== undefined && !isAllowedOrigin(request, config)) {
        throw forbidden('cross-origin request refused');
      }
      return;
    }
    // Terminal upgrades without a valid session are refused after the upgrade, with a red line and 4401
    // (docs/api.md §6.3), so the browser terminal can tell the user why; the route itself checks request.session.
    if (r.kind !== 'ok' && r.kind !== 'not-ready' && isTerminalUpgrade(request)) {
      if (r.kind !== 'none' && r.source === 'cookie') clearSessionCookie(reply, request, config);
      return;
    }
    // Logging out without a usable session (none, invalid, expired, revoked) succeeds: the cookie is cleared and the
    // route answers logged_out with nothing to revoke (docs/identity.md), so a console never loops on it.
    const isLogout = request.method === 'POST' && normalizedPath(request.url) === LOGOUT_PATH;
    if (isLogout && (r.kind === 'none' || r.kind === 'invalid' || r.kind === 'revoked')) {
      clearSessionCookie(reply, request, config);
      return;
    }
    switch (r.kind) {
      case 'none':
        throw unauthorized(MESSAGES.missing);
      case 'invalid':
      case 'revoked':
        if (r.source === 'cookie') clearSessionCookie(reply, request, config);
        throw unauthorized(MESSAGES[r.kind]);
      case 'not-ready':
        throw serviceUnavailable('session store not ready', { 'retry-after': '1' });
      case 'ok':
        break;
    }
    // A disabled or deleted user's session: refused everywhere (terminals say so after their upgrade).
    if (request.principalRefusal && !isTerminalUpgrade(request)) {
      if (request.principalRefusal.status === 401 && r.session.source === 'cookie')
        clearSessionCookie(reply, request, config);
      throw new HttpError(request.principalRefusal.status, request.principalRefusal.error);
    }
    // CSRF: cookie-authenticated writes must come from an allowed origin; Bearer requests are not sent by browsers on their own.
    if (unsafe && r.session.source === 'cookie' && !isAllowedOrigin(request, config)) {
      throw forbidden('cross-origin request refused');
    }
  });

  // The pre-login browser id (src/auth/browser-id.ts): every page (HTML) gives a browser without one its id, before
  // the console opens /ws/clusters; an answer that starts a session in a browser with one (any login) wakes that
  // browser's anonymous sockets once it is sent, so the console's reconnect carries the new session.
  // Runs after @fastify/cookie's onSend, which has written the Set-Cookie headers by then.
  fastify.addHook('onSend', async (request, reply, payload) => {
    const browserId = browserIdOf(request);
    if (browserId === undefined) {
      const type = reply.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('text/html'))
        setBrowserCookie(reply, request, config, newBrowserId());
    } else if (reply.statusCode < 400 && startsSession(reply)) {
      reply.raw.once('finish', () => loginListeners.forEach((listener) => listener(browserId)));
    }
    return payload;
  });
}

/** Whether the answer sets a (non-empty) session cookie. */
function startsSession(reply: FastifyReply): boolean {
  const header = reply.getHeader('set-cookie');
  const lines = Array.isArray(header) ? header : typeof header === 'string' ? [header] : [];
  return lines.some((line) => line.startsWith(`${SESSION_COOKIE}=`) && !line.startsWith(`${SESSION_COOKIE}=;`));
}

// Not encapsulated: the hook and the decorators (`session`, `butlerAuth`) apply to the whole app.
export const authPlugin = fp(authPluginImpl, {
  name: 'butler-auth',
  fastify: '5.x',
});
export { watchSession } from './session-watch.js';
export type { Session } from './session.js';
