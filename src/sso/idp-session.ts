// What a signed-in SSO user keeps from the IdP, sealed in the `butler_sso` cookie (no server memory): which
// provider, the subject, the refresh token (refresh-permissions fetches current groups with it) and the ID token
// (the hint for RP-initiated logout).
import * as oidc from 'openid-client';
import { identityFromClaims, type SsoIdentity } from './claims.js';
import { isUnreachable, type Failure } from './flow.js';
import type { SsoRegistry } from './registry.js';
import type { Sealer } from './sealed-cookie.js';

export const IDP_SESSION_COOKIE = 'butler_sso';
/** Cookies above about 4 KB are dropped by browsers: the ID token is left out when it would not fit. */
const MAX_COOKIE_CHARS = 3800;

export interface IdpSessionData {
  idp: string;
  subject: string;
  refreshToken?: string;
  idToken?: string;
}

export interface IdpSessions {
  seal(data: IdpSessionData, ttlSeconds: number): Promise<string>;
  open(value: string | undefined): Promise<IdpSessionData | null>;
  /** Fresh claims from the IdP through the refresh token; the returned data carries a rotated refresh token. */
  refresh(
    data: IdpSessionData,
  ): Promise<{ ok: true; identity: SsoIdentity; data: IdpSessionData } | Failure | { ok: false; code: 'no_refresh' }>;
  /** The IdP's end-session URL (RP-initiated logout), when it offers one. */
  logoutUrl(data: IdpSessionData, postLogoutRedirect?: string): Promise<string | undefined>;
}

export function createIdpSessions(deps: { registry: SsoRegistry; sealer: Sealer }): IdpSessions {
  const { registry, sealer } = deps;
  const seal = async (d: IdpSessionData, ttl: number) => {
    const base = { p: d.idp, sub: d.subject, ...(d.refreshToken ? { rt: d.refreshToken } : {}) };
    const full = d.idToken ? await sealer.seal({ ...base, it: d.idToken }, ttl) : undefined;
    return full && full.length <= MAX_COOKIE_CHARS ? full : sealer.seal(base, ttl);
  };
  return {
    seal,
    async open(value) {
      const p = await sealer.open(value);
      if (!p || typeof p.p !== 'string' || typeof p.sub !== 'string') return null;
      return {
        idp: p.p,
        subject: p.sub,
        ...(typeof p.rt === 'string' ? { refreshToken: p.rt } : {}),
        ...(typeof p.it === 'string' ? { idToken: p.it } : {}),
      };
    },
    async refresh(data) {
      if (!data.refreshToken) return { ok: false, code: 'no_refresh' };
      let client: Awaited<ReturnType<SsoRegistry['client']>>;
      try {
        client = await registry.client(data.idp);
      } catch (err) {
        return {
          ok: false,
          code: isUnreachable(err) ? 'idp_unavailable' : 'unknown_provider',
          detail: err instanceof Error ? err.message : String(err),
        };
      }
      let tokens: Awaited<ReturnType<typeof oidc.refreshTokenGrant>>;
      try {
        tokens = await oidc.refreshTokenGrant(client.config, data.refreshToken);
      } catch (err) {
        if (isUnreachable(err)) return { ok: false, code: 'idp_unavailable', detail: String(err) };
        if (err instanceof oidc.ResponseBodyError)
          return { ok: false, code: 'token_exchange_failed', detail: `${err.error}: ${err.error_description ?? ''}` };
        return { ok: false, code: 'invalid_id_token', detail: err instanceof Error ? err.message : String(err) };
      }
      let claims = tokens.claims() as Record<string, unknown> | undefined;
      if (!claims) {
        try {
          claims = (await oidc.fetchUserInfo(client.config, tokens.access_token, data.subject)) as Record<
            string,
            unknown
          >;
        } catch (err) {
          return { ok: false, code: 'idp_unavailable', detail: err instanceof Error ? err.message : String(err) };
        }
      }
      if (claims.sub !== data.subject)
        return { ok: false, code: 'invalid_id_token', detail: 'the IdP answered for another subject' };
      const result = identityFromClaims(client.settings, claims);
      if (!result.ok) return result;
      return {
        ok: true,
        identity: result.identity,
        data: {
          ...data,
          refreshToken: tokens.refresh_token ?? data.refreshToken,
          ...(tokens.id_token ? { idToken: tokens.id_token } : {}),
        },
      };
    },
    async logoutUrl(data, postLogoutRedirect) {
      try {
        const { config, settings } = await registry.client(data.idp);
        if (!config.serverMetadata().end_session_endpoint) return undefined;
        return oidc.buildEndSessionUrl(config, {
          client_id: settings.clientId,
          ...(data.idToken ? { id_token_hint: data.idToken } : {}),
          ...(postLogoutRedirect ? { post_logout_redirect_uri: postLogoutRedirect } : {}),
        }).href;
      } catch {
        return undefined;
      }
    },
  };
}
