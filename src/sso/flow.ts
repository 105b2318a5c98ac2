// The authorization code flow with PKCE as a relying party (openid-client): the start (redirect to the IdP with
// state, nonce and a PKCE challenge sealed in a short-lived cookie bound to this browser) and the callback (cookie
// opened and matched, code exchanged once, ID token verified: signature through the IdP's JWKS, issuer, audience,
// expiry with the configured clock tolerance, nonce). Every failure is a code for the login page, never a half login.
import { timingSafeEqual } from 'node:crypto';
import * as oidc from 'openid-client';
import { identityFromClaims, type SsoErrorCode, type SsoIdentity } from './claims.js';
import { IdpUnreachable } from './idp-fetch.js';
import type { SsoRegistry } from './registry.js';
import { safeReturnTo } from './return-to.js';
import type { Sealer } from './sealed-cookie.js';

export type Failure = { ok: false; code: SsoErrorCode; detail: string };

export interface StartResult {
  ok: true;
  redirect: string;
  /** Sealed value of the sign-in cookie. */
  flowCookie: string;
}

export interface CallbackResult {
  ok: true;
  identity: SsoIdentity;
  returnTo: string;
  /** What the IdP gave for later refresh and logout (kept sealed in a cookie). */
  refreshToken?: string;
  idToken?: string;
}

const MAX_USED_STATES = 10_000;

/** True when an error (or one of its causes) means the IdP could not be reached. */
export function isUnreachable(err: unknown): boolean {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    if (e instanceof IdpUnreachable) return true;
    const code = (e as { code?: unknown }).code;
    if (code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT') return true;
  }
  return false;
}

const describe = (err: unknown): string => {
  const parts: string[] = [];
  for (let e: unknown = err, i = 0; e && i < 4; e = (e as { cause?: unknown }).cause, i++) {
    if (e instanceof Error) parts.push(e.message);
  }
  return parts.join(': ').slice(0, 500);
};

const sameText = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

export interface SsoFlow {
  start(providerName: string | undefined, returnTo: unknown): Promise<StartResult | Failure>;
  callback(query: URLSearchParams, flowCookie: string | undefined): Promise<CallbackResult | Failure>;
}

export function createSsoFlow(deps: { registry: SsoRegistry; sealer: Sealer; loginTimeoutMs: number }): SsoFlow {
  const { registry, sealer } = deps;
  const ttlSeconds = Math.max(1, Math.round(deps.loginTimeoutMs / 1000));
  /** States already answered by this replica; a replay of the same cookie and state is refused. */
  const used = new Map<string, number>();
  const remember = (state: string) => {
    const now = Date.now();
    if (used.size >= MAX_USED_STATES)
      for (const [k, exp] of used) if (exp < now || used.size >= MAX_USED_STATES) used.delete(k);
    used.set(state, now + deps.loginTimeoutMs);
  };

  return {
    async start(providerName, returnTo) {
      const providers = registry.list();
      if (providers.length === 0) return { ok: false, code: 'sso_not_configured', detail: 'no identity provider' };
      const name = providerName ?? (providers.length === 1 ? providers[0]!.name : undefined);
      if (!name || !providers.some((p) => p.name === name))
        return { ok: false, code: 'unknown_provider', detail: `unknown identity provider "${String(providerName)}"` };
      let client: Awaited<ReturnType<SsoRegistry['client']>>;
      try {
        client = await registry.client(name);
      } catch (err) {
        return { ok: false, code: 'idp_unavailable', detail: describe(err) };
      }
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const verifier = oidc.randomPKCECodeVerifier();
      const params: Record<string, string> = {
        redirect_uri: client.settings.redirectUrl,
        scope: client.settings.scopes.join(' '),
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        // Google hands out a refresh token (for refresh-permissions) only with this; other IdPs ignore it.
        access_type: 'offline',
        ...(client.settings.hostedDomain ? { hd: client.settings.hostedDomain } : {}),
      };
      const redirect = oidc.buildAuthorizationUrl(client.config, params).href;
      const flowCookie = await sealer.seal(
        { p: name, s: state, n: nonce, v: verifier, r: safeReturnTo(returnTo) },
        ttlSeconds,
      );
      return { ok: true, redirect, flowCookie };
    },

    async callback(query, flowCookie) {
      const flow = await sealer.open(flowCookie);
      const state = query.get('state') ?? '';
      if (!flow || typeof flow.s !== 'string' || !sameText(flow.s, state))
        return { ok: false, code: 'invalid_state', detail: 'no sign-in in progress in this browser, or it expired' };
      if (used.has(state)) return { ok: false, code: 'invalid_state', detail: 'this sign-in was already completed' };
      remember(state);
      const error = query.get('error');
      if (error)
        return {
          ok: false,
          code: error === 'access_denied' ? 'access_denied' : 'idp_error',
          detail: `${error.slice(0, 64)}: ${(query.get('error_description') ?? '').slice(0, 200)}`,
        };
      if (!query.get('code')) return { ok: false, code: 'token_exchange_failed', detail: 'missing authorization code' };
      let client: Awaited<ReturnType<SsoRegistry['client']>>;
      try {
        client = await registry.client(String(flow.p));
      } catch (err) {
        return { ok: false, code: isUnreachable(err) ? 'idp_unavailable' : 'unknown_provider', detail: describe(err) };
      }
      const currentUrl = new URL(client.settings.redirectUrl);
      currentUrl.search = query.toString();
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(client.config, currentUrl, {
          pkceCodeVerifier: String(flow.v),
          expectedState: String(flow.s),
          expectedNonce: String(flow.n),
          idTokenExpected: true,
        });
      } catch (err) {
        if (isUnreachable(err)) return { ok: false, code: 'idp_unavailable', detail: describe(err) };
        // The IdP refused the code (expired, replayed, wrong verifier) or answered without JSON.
        if (err instanceof oidc.ResponseBodyError || err instanceof oidc.AuthorizationResponseError)
          return { ok: false, code: 'token_exchange_failed', detail: describe(err) };
        return { ok: false, code: 'invalid_id_token', detail: describe(err) };
      }
      const claims = tokens.claims();
      if (!claims) return { ok: false, code: 'invalid_id_token', detail: 'no ID token' };
      const result = identityFromClaims(client.settings, claims as Record<string, unknown>);
      if (!result.ok) return result;
      return {
        ok: true,
        identity: result.identity,
        returnTo: safeReturnTo(flow.r),
        ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
        ...(tokens.id_token ? { idToken: tokens.id_token } : {}),
      };
    },
  };
}
