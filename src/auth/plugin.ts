// Sessions for the whole app (contract §2): session resolution, the 401/503 gate for /api and /ws, the CSRF rule
// and the /api/auth routes.
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/types.js';
import { badRequest, forbidden, HttpError, serviceUnavailable, tooManyRequests, unauthorized } from '../http/errors.js';
import { isAllowedOrigin, isHttpsRequest } from '../http/origin.js';
import { KubeApiError, toHttpError } from '../kube/errors.js';
import { clientAddress } from './address.js';
import { createCredentialCheck } from './credentials.js';
import type { RevocationStore } from './revocations.js';
import { createTokenService, SESSION_COOKIE, type Session, type TokenService } from './session.js';
import { createLoginThrottle } from './throttle.js';

export interface AuthPluginOptions {
  config: Config;
  services: { revocations: RevocationStore };
}

export interface RouteEntry {
  method: string;
  url: string;
  websocket: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated session, or null (public routes, or before the auth hook ran). */
    session: Session | null;
  }
  interface FastifyInstance {
    /** Every route registered after the auth plugin (method, URL pattern), for the route-coverage test. */
    registeredRoutes: RouteEntry[];
    /** Token verification and the revocation store, for authenticateRequest/watchSession in other plugins. */
    butlerAuth: { tokens: TokenService; revocations: RevocationStore };
  }
}

export const LOGIN_PATH = '/api/auth/login';

/** Why a revocation marker could not be stored, for the logout/refresh answer (no secrets, no Kubernetes internals). */
function revocationFailureReason(err: unknown, mapped: HttpError, systemNamespace: string): string {
  if (mapped.status === 404 && err instanceof KubeApiError && err.status?.details?.kind === 'namespaces')
    return `namespace "${systemNamespace}" does not exist`;
  // The mapped messages: "kubernetes API unavailable", "… timed out", "butler-server is not allowed to create
  // configmaps in namespace …", "… rejected butler-server's credentials", "… is throttling requests".
  return mapped.message;
}
const LOGOUT_PATH = '/api/auth/logout';
/** Public in the data-less mode of contract §6.2: the route itself refuses data without a session. */
export const PUBLIC_WEBSOCKETS = new Set(['/ws/clusters']);
const MAX_CREDENTIAL_LENGTH = 256;
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const MESSAGES = {
  missing: 'unauthorized',
  invalid: 'invalid or expired token',
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
 * Whether a path (or route pattern) needs a session. Public are exactly the login path and the public WebSockets:
 * near misses (`/ws/clusters/`, `/ws//clusters`) are unknown paths like any other and answer 401 before anything else.
 */
export function requiresSession(path: string): boolean {
  const exact = decodedPath(path);
  if (exact === LOGIN_PATH || PUBLIC_WEBSOCKETS.has(exact)) return false;
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
  return { path: '/', httpOnly: true, sameSite: 'strict' as const, secure };
}

function setSessionCookie(reply: FastifyReply, request: FastifyRequest, config: Config, token: string, maxAge: number) {
  reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions(request, config), maxAge });
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

function audit(request: FastifyRequest, event: string, user: string, address: string, result: string) {
  request.log.info({ audit: true, event, user: user.slice(0, 64), address, result }, `audit ${event}`);
}

async function authPluginImpl(fastify: FastifyInstance, opts: AuthPluginOptions): Promise<void> {
  const { config } = opts;
  const store = opts.services.revocations;
  const tokens = createTokenService(config);
  const checkCredentials = createCredentialCheck(config.auth);
  const throttle = createLoginThrottle({
    maxFailures: config.auth.loginMaxFailures,
    failureWindowMs: config.auth.loginFailureWindowMs,
    ratePerMinute: config.auth.loginRateLimit,
  });
  const ttlSeconds = Math.max(1, Math.round(config.auth.tokenTtlMs / 1000));
  fastify.decorate('butlerAuth', { tokens, revocations: store });

  if (!fastify.hasRequestDecorator('cookies')) await fastify.register(cookie);
  fastify.decorateRequest('session', null);
  fastify.decorate('registeredRoutes', [] as RouteEntry[]);
  fastify.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      fastify.registeredRoutes.push({
        method,
        url: route.url,
        websocket: Boolean((route as { websocket?: boolean }).websocket),
      });
    }
  });

  fastify.addHook('onRequest', async (request, reply) => {
    const r = await resolve(request, tokens, store);
    request.session = r.kind === 'ok' ? r.session : null;
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
    // (contract §6.3), so the browser terminal can tell the user why; the route itself checks request.session.
    if (r.kind !== 'ok' && r.kind !== 'not-ready' && isTerminalUpgrade(request)) {
      if (r.kind !== 'none' && r.source === 'cookie') clearSessionCookie(reply, request, config);
      return;
    }
    // A refused logout still clears the cookie (contract §2.3), whatever carried the token.
    const isLogout = request.method === 'POST' && normalizedPath(request.url) === LOGOUT_PATH;
    switch (r.kind) {
      case 'none':
        if (isLogout) clearSessionCookie(reply, request, config);
        throw unauthorized(MESSAGES.missing);
      case 'invalid':
      case 'revoked':
        if (r.source === 'cookie' || isLogout) clearSessionCookie(reply, request, config);
        throw unauthorized(MESSAGES[r.kind]);
      case 'not-ready':
        throw serviceUnavailable('session store not ready', { 'retry-after': '1' });
      case 'ok':
        break;
    }
    // CSRF: cookie-authenticated writes must come from an allowed origin; Bearer requests are not sent by browsers on their own.
    if (unsafe && r.session.source === 'cookie' && !isAllowedOrigin(request, config)) {
      throw forbidden('cross-origin request refused');
    }
  });

  const loginResponse = (token: string, username: string, expiresAt: Date) => ({
    token,
    user: { username, role: 'admin' as const },
    expiresAt: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });

  fastify.post(LOGIN_PATH, async (request, reply) => {
    const body = request.body as { username?: unknown; password?: unknown } | undefined;
    const username = body?.username;
    const password = body?.password;
    const address = clientAddress(request, config);
    const userForThrottle = typeof username === 'string' ? username.slice(0, MAX_CREDENTIAL_LENGTH) : '';
    const wait = throttle.check(userForThrottle, address);
    if (wait > 0) {
      audit(request, 'login.failure', userForThrottle, address, 'throttled');
      throw tooManyRequests(`too many login attempts; try again in ${wait} s`, wait);
    }
    if (
      typeof username !== 'string' ||
      typeof password !== 'string' ||
      !username ||
      !password ||
      username.length > MAX_CREDENTIAL_LENGTH ||
      password.length > MAX_CREDENTIAL_LENGTH
    ) {
      throw badRequest('username and password are required');
    }
    if (!(await checkCredentials(username, password))) {
      throttle.recordFailure(username, address);
      audit(request, 'login.failure', username, address, 'invalid credentials');
      throw unauthorized('invalid credentials');
    }
    throttle.recordSuccess(username, address);
    const issued = await tokens.issue(config.auth.adminUsername);
    setSessionCookie(reply, request, config, issued.token, ttlSeconds);
    audit(request, 'login.success', username, address, 'success');
    return loginResponse(issued.token, config.auth.adminUsername, issued.expiresAt);
  });

  const recordFailure = (err: unknown, what: 'logout' | 'refresh'): HttpError => {
    const mapped = toHttpError(err, {
      kind: 'ConfigMap',
      namespace: config.systemNamespace,
      verb: 'create',
      resource: 'configmaps',
    });
    const status = mapped.status === 504 ? 504 : 502;
    const e = new HttpError(
      status,
      `${what} could not be recorded (${revocationFailureReason(err, mapped, config.systemNamespace)}); the session is still valid`,
    );
    Object.defineProperty(e, 'cause', { value: err, enumerable: false });
    return e;
  };

  fastify.post(LOGOUT_PATH, async (request, reply) => {
    const session = request.session!;
    clearSessionCookie(reply, request, config);
    const address = clientAddress(request, config);
    try {
      await store.revoke(session.jti, new Date(session.exp * 1000));
    } catch (err) {
      audit(request, 'logout', session.username, address, 'failed');
      throw recordFailure(err, 'logout');
    }
    audit(request, 'logout', session.username, address, 'success');
    return { message: 'logged out' };
  });

  // Every session and kubectl token of this user issued until now, on every replica (the user's later logins work).
  fastify.post('/api/auth/logout-everywhere', async (request, reply) => {
    const session = request.session!;
    clearSessionCookie(reply, request, config);
    const address = clientAddress(request, config);
    try {
      await store.revokeUser(session.username);
    } catch (err) {
      audit(request, 'logout.everywhere', session.username, address, 'failed');
      throw recordFailure(err, 'logout');
    }
    audit(request, 'logout.everywhere', session.username, address, 'success');
    return { message: 'logged out everywhere' };
  });

  fastify.post('/api/auth/refresh', async (request, reply) => {
    const session = request.session!;
    const address = clientAddress(request, config);
    try {
      await store.revoke(session.jti, new Date(session.exp * 1000));
    } catch (err) {
      clearSessionCookie(reply, request, config);
      audit(request, 'refresh', session.username, address, 'failed');
      throw recordFailure(err, 'refresh');
    }
    const issued = await tokens.issue(session.username);
    setSessionCookie(reply, request, config, issued.token, ttlSeconds);
    audit(request, 'refresh', session.username, address, 'success');
    return loginResponse(issued.token, session.username, issued.expiresAt);
  });

  fastify.get('/api/auth/me', async (request) => {
    const session = request.session!;
    return {
      username: session.username,
      role: session.role,
      expiresAt: new Date(session.exp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  });
}

// Registered without encapsulation (what fastify-plugin does) so the hook and decorators apply to the whole app.
(authPluginImpl as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
(authPluginImpl as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = 'butler-auth';

export const authPlugin = authPluginImpl;
export { watchSession } from './session-watch.js';
export type { Session } from './session.js';
