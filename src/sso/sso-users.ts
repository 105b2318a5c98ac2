// Which User an SSO sign-in belongs to. A User is matched by the IdP's subject (and provider), never by an email or
// a name alone: an internal account that merely shares the email (or its local part) is not taken over; a User an
// administrator prepared for SSO (authType sso, no subject yet) with that email is bound on first sign-in.
import type { SsoErrorCode, SsoIdentity } from './claims.js';

export interface SsoUserLike {
  metadata: { name?: string };
  spec?: {
    email?: unknown;
    displayName?: unknown;
    avatar?: unknown;
    authType?: unknown;
    disabled?: unknown;
    ssoProvider?: unknown;
    ssoSubject?: unknown;
  };
}

export type SsoUserDecision<U> =
  | { kind: 'existing'; user: U; specPatch: Record<string, unknown> }
  | { kind: 'create'; name: string; spec: Record<string, unknown> }
  | { kind: 'refuse'; code: SsoErrorCode; detail: string };

const lower = (x: unknown) => (typeof x === 'string' ? x.trim().toLowerCase() : '');

/** A DNS-1123 name from an email's local part: `Jane.Doe+x@corp` → `jane-doe-x`. */
export function usernameFromEmail(email: string): string {
  const local = email.slice(0, email.lastIndexOf('@')).toLowerCase();
  const name = local
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/, '');
  return name || 'user';
}

export function matchesIdentity(u: SsoUserLike, id: SsoIdentity): boolean {
  const s = u.spec ?? {};
  return (
    s.authType === 'sso' && s.ssoSubject === id.subject && (s.ssoProvider === id.idp || s.ssoProvider === id.provider)
  );
}

/** What to do for a verified identity, given every User. */
export function decideSsoUser<U extends SsoUserLike>(users: readonly U[], id: SsoIdentity): SsoUserDecision<U> {
  const profile = {
    displayName: id.name,
    ...(id.picture ? { avatar: id.picture } : {}),
  };
  const emailOwner = users.find((u) => lower(u.spec?.email) === id.email);
  const matched = users.find((u) => matchesIdentity(u, id));
  if (matched) {
    if (matched.spec?.disabled === true) return { kind: 'refuse', code: 'account_disabled', detail: 'disabled' };
    if (emailOwner && emailOwner !== matched)
      return {
        kind: 'refuse',
        code: 'account_conflict',
        detail: `the IdP now reports ${id.email}, which belongs to user ${emailOwner.metadata.name}`,
      };
    const patch: Record<string, unknown> = {};
    if (lower(matched.spec?.email) !== id.email) patch.email = id.email;
    if (matched.spec?.displayName !== profile.displayName) patch.displayName = profile.displayName;
    if (profile.avatar && matched.spec?.avatar !== profile.avatar) patch.avatar = profile.avatar;
    if (matched.spec?.ssoProvider !== id.idp) patch.ssoProvider = id.idp;
    return { kind: 'existing', user: matched, specPatch: patch };
  }
  if (emailOwner) {
    const s = emailOwner.spec ?? {};
    const prepared = s.authType === 'sso' && (s.ssoSubject === undefined || s.ssoSubject === '');
    if (!prepared)
      return {
        kind: 'refuse',
        code: 'account_conflict',
        detail: `user ${emailOwner.metadata.name} already has the email ${id.email} and is not linked to this sign-in`,
      };
    if (s.disabled === true) return { kind: 'refuse', code: 'account_disabled', detail: 'disabled' };
    return {
      kind: 'existing',
      user: emailOwner,
      specPatch: { ssoProvider: id.idp, ssoSubject: id.subject, ...profile },
    };
  }
  const taken = new Set(users.map((u) => u.metadata.name));
  const base = usernameFromEmail(id.email);
  let name = base;
  for (let i = 2; taken.has(name) && i < 1000; i++) name = `${base}-${i}`;
  return {
    kind: 'create',
    name,
    spec: {
      email: id.email,
      ...profile,
      authType: 'sso',
      disabled: false,
      isPlatformAdmin: false,
      ssoProvider: id.idp,
      ssoSubject: id.subject,
    },
  };
}
