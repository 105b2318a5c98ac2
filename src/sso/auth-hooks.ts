// What the /api/auth routes ask of SSO: the login page's provider list, the IdP part of logout (the sealed cookie
// cleared, the IdP's end-session URL) and, on refresh-permissions, the user's current groups fetched from the IdP
// with the refresh token (so group changes at the IdP count without a new sign-in).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { cookieOptions } from '../auth/plugin.js';
import type { Identity } from '../auth/session.js';
import type { Config } from '../config/types.js';
import { badGateway, HttpError, unauthorized } from '../http/errors.js';
import type { UserStore } from '../identity/user-store.js';
import type { KubeClient } from '../kube/client.js';
import { SSO_ERROR_MESSAGES } from './claims.js';
import { IDP_SESSION_COOKIE } from './idp-session.js';
import { SSO_LOGIN_PATH } from './routes.js';
import type { SsoServices } from './services.js';
import { linkSsoUser } from './sso-users.js';

export interface ProviderEntry {
  name: string;
  type: 'oidc';
  loginUrl: string;
  buttonLabel: string;
}

export interface SsoAuthHooks {
  providers(): ProviderEntry[];
  /** What the login page shows for each `/login?error=<code>` of a failed sign-in (the one table of them). */
  errorMessages: Readonly<Record<string, string>>;
  /** Clears the IdP cookie; the IdP's end-session URL when it has one. */
  logout(request: FastifyRequest, reply: FastifyReply): Promise<string | undefined>;
  /** The identity with fresh groups and profile from the IdP (SSO sessions); others unchanged. Throws HttpError. */
  refreshIdentity(request: FastifyRequest, reply: FastifyReply, identity: Identity): Promise<Identity>;
}

export function createSsoAuthHooks(deps: {
  config: Config;
  sso: SsoServices;
  kube: KubeClient;
  users: UserStore;
}): SsoAuthHooks {
  const { config, sso } = deps;
  const idpCookie = (request: FastifyRequest) => ({ ...cookieOptions(request, config), path: '/api/auth' });
  const clear = (request: FastifyRequest, reply: FastifyReply) =>
    reply.setCookie(IDP_SESSION_COOKIE, '', { ...idpCookie(request), maxAge: 0, expires: new Date(0) });
  const origin = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

  return {
    providers: () =>
      sso.registry.list().map((p) => ({
        name: p.displayName,
        type: 'oidc' as const,
        loginUrl: `${SSO_LOGIN_PATH}?provider=${encodeURIComponent(p.name)}`,
        buttonLabel: `Sign in with ${p.displayName}`,
      })),
    errorMessages: SSO_ERROR_MESSAGES,

    async logout(request, reply) {
      const data = await sso.idpSessions.open(request.cookies?.[IDP_SESSION_COOKIE]);
      clear(request, reply);
      if (!data) return undefined;
      return sso.idpSessions.logoutUrl(data, `${origin(request)}/login`);
    },

    async refreshIdentity(request, reply, identity) {
      if (!identity.idp) return identity;
      const data = await sso.idpSessions.open(request.cookies?.[IDP_SESSION_COOKIE]);
      // No refresh token (or no cookie): the groups captured at sign-in stay, as with IdPs that issue none.
      if (!data || data.idp !== identity.idp || data.subject !== identity.subject) return identity;
      const r = await sso.idpSessions.refresh(data);
      if (!r.ok) {
        if (r.code === 'no_refresh') return identity;
        if (r.code === 'idp_unavailable')
          throw badGateway('identity provider unreachable; permissions were not refreshed');
        // The IdP no longer accepts this sign-in (revoked, user removed): the Butler session ends too.
        clear(request, reply);
        throw new HttpError(401, 'the identity provider no longer accepts this sign-in; please sign in again');
      }
      const linked = await linkSsoUser({ kube: deps.kube, users: deps.users }, r.identity);
      if (!linked.ok) {
        clear(request, reply);
        if (linked.code === 'account_disabled') throw new HttpError(403, 'Account is disabled');
        throw unauthorized('this sign-in no longer matches a Butler user; please sign in again');
      }
      const ttl = Math.max(1, Math.round(config.auth.tokenTtlMs / 1000));
      reply.setCookie(IDP_SESSION_COOKIE, await sso.idpSessions.seal(r.data, ttl), {
        ...idpCookie(request),
        maxAge: ttl,
      });
      return {
        ...identity,
        username: linked.user.metadata.name ?? identity.username,
        email: r.identity.email,
        name: r.identity.name,
        groups: r.identity.groups,
        ...(r.identity.picture ? { picture: r.identity.picture } : {}),
      };
    },
  };
}
