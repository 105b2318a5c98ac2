// What Butler takes from a verified ID token: subject, email (configurable claim), name, picture, groups
// (configurable claim, strings only), and the checks a valid signature does not cover: a verified email and the
// hosted-domain restriction.
import { isEmailAddress, normaliseEmail } from '../identity/membership.js';
import type { IdpSettings } from './registry.js';

export interface SsoIdentity {
  /** IdentityProvider object name. */
  idp: string;
  /** The provider's display name. */
  provider: string;
  subject: string;
  email: string;
  name: string;
  picture?: string;
  groups: string[];
}

export type ClaimsResult = { ok: true; identity: SsoIdentity } | { ok: false; code: SsoErrorCode; detail: string };

export type SsoErrorCode =
  | 'sso_not_configured'
  | 'unknown_provider'
  | 'idp_unavailable'
  | 'access_denied'
  | 'idp_error'
  | 'invalid_state'
  | 'token_exchange_failed'
  | 'invalid_id_token'
  | 'email_missing'
  | 'email_not_verified'
  | 'domain_not_allowed'
  | 'account_disabled'
  | 'account_conflict'
  | 'no_team_access'
  | 'session_creation_failed';

const MAX_GROUPS = 256;
const MAX_GROUP_LENGTH = 256;

const str = (x: unknown): x is string => typeof x === 'string' && x !== '';

export function identityFromClaims(settings: IdpSettings, claims: Record<string, unknown>): ClaimsResult {
  const subject = claims.sub;
  if (!str(subject) || subject.length > 255)
    return { ok: false, code: 'invalid_id_token', detail: 'the ID token has no usable subject' };
  // Sessions of internal users and the bootstrap admin carry these subjects: an IdP must never be able to claim them.
  if (/^(internal|legacy):/i.test(subject))
    return { ok: false, code: 'invalid_id_token', detail: 'the ID token subject uses a reserved prefix' };
  const rawEmail = claims[settings.emailClaim];
  if (!str(rawEmail) || !isEmailAddress(normaliseEmail(rawEmail)))
    return { ok: false, code: 'email_missing', detail: `the ID token has no email in claim "${settings.emailClaim}"` };
  const email = normaliseEmail(rawEmail);
  // Team membership is keyed by email: an address the IdP has not verified could claim someone else's teams.
  if (claims.email_verified === false || claims.email_verified === 'false')
    return { ok: false, code: 'email_not_verified', detail: `the IdP has not verified ${email}` };
  // Only the `hd` claim proves a managed account of the domain: a personal account may carry a corporate email.
  if (settings.hostedDomain) {
    const hd = typeof claims.hd === 'string' ? claims.hd.toLowerCase() : undefined;
    if (hd !== settings.hostedDomain)
      return { ok: false, code: 'domain_not_allowed', detail: `only ${settings.hostedDomain} accounts may sign in` };
  }
  const rawGroups = claims[settings.groupsClaim];
  const groups = Array.isArray(rawGroups)
    ? [...new Set(rawGroups.filter((g): g is string => str(g) && g.length <= MAX_GROUP_LENGTH))].slice(0, MAX_GROUPS)
    : [];
  const name = str(claims.name) ? claims.name.slice(0, 256) : email;
  return {
    ok: true,
    identity: {
      idp: settings.name,
      provider: settings.displayName,
      subject,
      email,
      name,
      ...(str(claims.picture) && /^https:\/\//.test(claims.picture) ? { picture: claims.picture.slice(0, 2048) } : {}),
      groups,
    },
  };
}

/** What the login page shows for each code: served publicly on GET /api/auth/providers as `errorMessages`. */
export const SSO_ERROR_MESSAGES: Record<SsoErrorCode, string> = {
  sso_not_configured: 'Single sign-on is not configured.',
  unknown_provider: 'That identity provider is not configured.',
  idp_unavailable: 'The identity provider cannot be reached right now. Try again later.',
  access_denied: 'Sign-in was cancelled or denied at the identity provider.',
  idp_error: 'The identity provider reported an error.',
  invalid_state: 'The sign-in expired or was already used. Please start again.',
  token_exchange_failed: 'The identity provider did not accept the sign-in code. Please start again.',
  invalid_id_token: 'The identity provider answered with an ID token that failed verification.',
  email_missing: 'The identity provider did not send an email address.',
  email_not_verified: 'Your email address is not verified at the identity provider.',
  domain_not_allowed: 'Accounts of this domain may not sign in.',
  account_disabled: 'Your account is disabled.',
  account_conflict: 'An account with this email address already exists; ask an administrator.',
  no_team_access: 'You are not a member of any team; contact your administrator.',
  session_creation_failed: 'The session could not be created. Please try again.',
};
