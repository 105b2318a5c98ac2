// GET /api/auth/login/sso (start) and GET /api/auth/callback (finish). Both answer redirects only: success goes to
// the requested path on this server, every failure to `/login?error=<code>` (messages in claims.ts), with the
// sign-in cookie cleared and no session cookie set.
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../http/app-type.js';
import { cookieOptions } from '../auth/plugin.js';
import type { Config } from '../config/types.js';
import type { SsoErrorCode, SsoIdentity } from './claims.js';
import type { SsoFlow } from './flow.js';
import { IDP_SESSION_COOKIE, type IdpSessions } from './idp-session.js';

export const SSO_LOGIN_PATH = '/api/auth/login/sso';
export const SSO_CALLBACK_PATH = '/api/auth/callback';
export const FLOW_COOKIE = 'butler_sso_flow';

/** Turns a verified SSO identity into a Butler user and session (cookie set on the reply), or refuses. */
export interface SsoLoginSink {
  complete(
    request: FastifyRequest,
    reply: FastifyReply,
    identity: SsoIdentity,
  ): Promise<{ ok: true } | { ok: false; code: SsoErrorCode; detail: string }>;
}

export interface SsoRouteDeps {
  config: Config;
  flow: SsoFlow;
  idpSessions: IdpSessions;
  sink: SsoLoginSink;
}

export const loginErrorUrl = (code: SsoErrorCode) => `/login?error=${encodeURIComponent(code)}`;

function audit(request: FastifyRequest, event: string, user: string, result: string, detail?: string) {
  request.log.info(
    { audit: true, event, user: user.slice(0, 64), result, ...(detail ? { detail: detail.slice(0, 300) } : {}) },
    `audit ${event}`,
  );
}

const REDIRECT = Type.Null({ description: 'Redirect (Location); failures go to /login?error=<code>' });

export function registerSsoRoutes(app: App, deps: SsoRouteDeps): void {
  const { config, flow, idpSessions, sink } = deps;
  const flowCookieOptions = (request: FastifyRequest) => ({
    ...cookieOptions(request, config),
    // Lax: the IdP's redirect back is a cross-site top-level navigation.
    sameSite: 'lax' as const,
    path: SSO_CALLBACK_PATH,
  });
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

  app.get(
    SSO_LOGIN_PATH,
    {
      schema: {
        summary: 'Start single sign-on: redirects to the identity provider (public)',
        querystring: Type.Object(
          {
            // Not validated: every failure of this route is a redirect to the login page, never a JSON 400.
            provider: Type.Optional(Type.Unknown({ description: 'IdentityProvider name (default: the only one)' })),
            return_to: Type.Optional(Type.Unknown({ description: 'Path on this server to return to' })),
          },
          { additionalProperties: true },
        ),
        response: { 302: REDIRECT },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const provider = typeof q.provider === 'string' && q.provider ? q.provider : undefined;
      const started = await flow.start(provider, q.return_to);
      noStore(reply);
      if (!started.ok) {
        audit(request, 'login.sso', provider ?? '', started.code, started.detail);
        return reply.redirect(loginErrorUrl(started.code), 302);
      }
      reply.setCookie(FLOW_COOKIE, started.flowCookie, {
        ...flowCookieOptions(request),
        maxAge: Math.max(1, Math.round(config.sso.loginTimeoutMs / 1000)),
      });
      return reply.redirect(started.redirect, 302);
    },
  );

  app.get(
    SSO_CALLBACK_PATH,
    {
      schema: {
        summary: 'The identity provider redirects back here: starts the session, redirects into the console (public)',
        // Read from the raw URL by the OpenID Connect library (code, state, iss, error…), not validated here.
        querystring: Type.Object({}, { additionalProperties: true }),
        response: { 302: REDIRECT },
      },
    },
    async (request, reply) => {
      const query = new URLSearchParams((request.url.split('?')[1] ?? '').slice(0, 8192));
      const result = await flow.callback(query, request.cookies?.[FLOW_COOKIE]);
      noStore(reply);
      // Single use: whatever happens, this browser's sign-in attempt is over.
      reply.setCookie(FLOW_COOKIE, '', { ...flowCookieOptions(request), maxAge: 0, expires: new Date(0) });
      if (!result.ok) {
        audit(request, 'login.sso', '', result.code, result.detail);
        return reply.redirect(loginErrorUrl(result.code), 302);
      }
      const done = await sink.complete(request, reply, result.identity);
      if (!done.ok) {
        audit(request, 'login.sso', result.identity.email, done.code, done.detail);
        return reply.redirect(loginErrorUrl(done.code), 302);
      }
      const ttl = Math.max(1, Math.round(config.auth.tokenTtlMs / 1000));
      const sealed = await idpSessions.seal(
        {
          idp: result.identity.idp,
          subject: result.identity.subject,
          ...(result.refreshToken ? { refreshToken: result.refreshToken } : {}),
          ...(result.idToken ? { idToken: result.idToken } : {}),
        },
        ttl,
      );
      reply.setCookie(IDP_SESSION_COOKIE, sealed, {
        ...cookieOptions(request, config),
        path: '/api/auth',
        maxAge: ttl,
      });
      audit(request, 'login.sso', result.identity.email, 'success', result.identity.idp);
      return reply.redirect(result.returnTo, 302);
    },
  );
}
