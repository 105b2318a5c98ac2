// The SSO capability: sign-in through IdentityProvider objects (GET /api/auth/login/sso, GET /api/auth/callback)
// and their administration (/api/admin/identity-providers). A verified sign-in becomes a Butler session here: the
// User is matched or created (sso-users.ts), its principal resolved (disabled users refused) and the cookie set.
import type { App } from '../http/app-type.js';
import fp from 'fastify-plugin';
import { setSessionCookie } from '../auth/plugin.js';
import type { Identity } from '../auth/session.js';
import type { Config } from '../config/types.js';
import type { Services } from '../services.js';
import { registerIdpRoutes } from './idp-routes.js';
import { registerSsoRoutes, type SsoLoginSink } from './routes.js';
import { linkSsoUser } from './sso-users.js';

export interface SsoPluginOptions {
  config: Config;
  services: Pick<Services, 'kube' | 'identity' | 'sso' | 'kubeFor'>;
}

async function ssoPluginImpl(app: App, opts: SsoPluginOptions): Promise<void> {
  const { config, services } = opts;
  const { identity, sso } = services;

  const sink: SsoLoginSink = {
    async complete(request, reply, id) {
      const linked = await linkSsoUser({ kube: services.kube, users: identity.users }, id);
      if (!linked.ok) return linked;
      const sessionIdentity: Identity = {
        subject: id.subject,
        username: linked.user.metadata.name ?? '',
        email: id.email,
        name: id.name,
        provider: id.provider,
        ...(id.picture ? { picture: id.picture } : {}),
        groups: id.groups,
        idp: id.idp,
      };
      // The session starts only for a user who may have one now (the User just written may not be cached yet:
      // the principal then comes from the identity alone, and the next request resolves it fully).
      const resolved = identity.resolver.resolve(sessionIdentity);
      if (!resolved.ok)
        return {
          ok: false,
          code: resolved.status === 403 ? 'account_disabled' : 'session_creation_failed',
          detail: resolved.error,
        };
      try {
        const issued = await app.butlerAuth.tokens.issue(sessionIdentity);
        setSessionCookie(reply, request, config, issued.token);
      } catch (err) {
        return { ok: false, code: 'session_creation_failed', detail: err instanceof Error ? err.message : String(err) };
      }
      return { ok: true };
    },
  };

  registerSsoRoutes(app, { config, flow: sso.flow, idpSessions: sso.idpSessions, sink });
  registerIdpRoutes(app, {
    config,
    kube: services.kube,
    // Administrators' IdentityProvider reads and writes reach the management cluster as themselves (impersonated).
    kubeFor: (request) => services.kubeFor(request),
    registry: sso.registry,
  });
}

// Not encapsulated: its routes sit beside the auth routes, under the permission matrix's hook.
export const ssoPlugin = fp(ssoPluginImpl, {
  name: 'butler-sso',
  fastify: '5.x',
  dependencies: ['butler-auth'],
  decorators: { fastify: ['butlerAuth'] },
});
