// The identity provider configured by BUTLER_OIDC_* settings (beside the IdentityProvider objects). It is on when
// BUTLER_OIDC_ENABLED=true, or when an issuer and a client id are given (BUTLER_OIDC_ENABLED=false turns it off
// whatever else is set); once on, issuer, client id, client secret and redirect URL are all required.
import { ConfigError, parseBool } from './parse.js';
import { readSecret } from './secrets.js';
import type { OidcEnvProvider } from './types.js';

export const DEFAULT_OIDC_SCOPES = ['openid', 'email', 'profile'];
const DEFAULT_DISPLAY_NAME = 'SSO';

const httpUrl = (name: string, raw: string, https: boolean): string => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name}: "${raw}" is not a URL`);
  }
  if (https ? url.protocol !== 'https:' : url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError(`${name}: "${raw}" must be an ${https ? 'https' : 'http(s)'}:// URL`);
  if (url.username || url.password) throw new ConfigError(`${name}: must not carry credentials`);
  return raw;
};

/** A claim name: what the ID token's JSON key may reasonably be. */
const claimName = (name: string, raw: string | undefined, def: string): string => {
  if (raw === undefined) return def;
  if (!/^[\w.:/-]{1,128}$/.test(raw)) throw new ConfigError(`${name}: "${raw}" is not a claim name`);
  return raw;
};

export function loadOidcEnvProvider(env: NodeJS.ProcessEnv): OidcEnvProvider | undefined {
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === '' ? undefined : v;
  };
  const enabledRaw = get('BUTLER_OIDC_ENABLED');
  const enabled =
    enabledRaw !== undefined
      ? parseBool('BUTLER_OIDC_ENABLED', enabledRaw)
      : get('BUTLER_OIDC_ISSUER_URL') !== undefined && get('BUTLER_OIDC_CLIENT_ID') !== undefined;
  if (!enabled) return undefined;

  const clientSecret = readSecret(env, 'BUTLER_OIDC_CLIENT_SECRET');
  const missing = [
    get('BUTLER_OIDC_ISSUER_URL') === undefined && 'BUTLER_OIDC_ISSUER_URL',
    get('BUTLER_OIDC_CLIENT_ID') === undefined && 'BUTLER_OIDC_CLIENT_ID',
    clientSecret === undefined && 'BUTLER_OIDC_CLIENT_SECRET (or BUTLER_OIDC_CLIENT_SECRET_FILE)',
    get('BUTLER_OIDC_REDIRECT_URL') === undefined && 'BUTLER_OIDC_REDIRECT_URL',
  ].filter((m): m is string => typeof m === 'string');
  if (missing.length > 0)
    throw new ConfigError(
      `single sign-on from BUTLER_OIDC_* settings is on but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set`,
    );

  const scopes = (get('BUTLER_OIDC_SCOPES') ?? '').split(/[\s,]+/).filter((s) => s !== '');
  if (scopes.some((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)))
    throw new ConfigError(`BUTLER_OIDC_SCOPES: "${get('BUTLER_OIDC_SCOPES')}" holds a character a scope cannot have`);
  const hostedDomain = get('BUTLER_OIDC_HOSTED_DOMAIN')?.toLowerCase();
  if (hostedDomain !== undefined && !/^[a-z0-9.-]{1,253}$/.test(hostedDomain))
    throw new ConfigError(`BUTLER_OIDC_HOSTED_DOMAIN: "${hostedDomain}" is not a domain name`);
  const displayName = get('BUTLER_OIDC_DISPLAY_NAME') ?? DEFAULT_DISPLAY_NAME;
  if (displayName.length > 64) throw new ConfigError('BUTLER_OIDC_DISPLAY_NAME: at most 64 characters');

  return {
    displayName,
    issuer: httpUrl('BUTLER_OIDC_ISSUER_URL', get('BUTLER_OIDC_ISSUER_URL')!, true),
    clientId: get('BUTLER_OIDC_CLIENT_ID')!,
    clientSecret: clientSecret!,
    redirectUrl: httpUrl('BUTLER_OIDC_REDIRECT_URL', get('BUTLER_OIDC_REDIRECT_URL')!, false),
    scopes: scopes.length === 0 ? [...DEFAULT_OIDC_SCOPES] : scopes.includes('openid') ? scopes : ['openid', ...scopes],
    ...(hostedDomain !== undefined ? { hostedDomain } : {}),
    groupsClaim: claimName('BUTLER_OIDC_GROUPS_CLAIM', get('BUTLER_OIDC_GROUPS_CLAIM'), 'groups'),
    emailClaim: claimName('BUTLER_OIDC_EMAIL_CLAIM', get('BUTLER_OIDC_EMAIL_CLAIM'), 'email'),
  };
}
