// Which User an SSO sign-in belongs to. A User is matched by the IdP's subject (and provider), never by an email or
// a name alone: an internal account that merely shares the email (or its local part) is not taken over; a User an
// administrator prepared for SSO (authType sso, no subject yet) with that email is bound on first sign-in.
import { LABEL_MANAGED_BY, usernameFromEmail } from '../identity/paths.js';
import { rfc3339, type UserObject, type UserStore } from '../identity/user-store.js';
import type { KubeClient } from '../kube/client.js';
import { isKubeStatus } from '../kube/errors.js';
import type { SsoErrorCode, SsoIdentity } from './claims.js';
import { BUTLER_API_VERSION, paths } from '../kube/butler.js';

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
  for (let i = 2; taken.has(name) && i < 1000; i++) name = `${base.slice(0, 58).replace(/-+$/, '')}-${i}`;
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

/** The writes an SSO sign-in makes: create or update the matched User, then record the login and the groups seen. */
export async function linkSsoUser(
  deps: { kube: KubeClient; users: UserStore },
  id: SsoIdentity,
): Promise<{ ok: true; user: UserObject } | { ok: false; code: SsoErrorCode; detail: string }> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const decision = decideSsoUser(deps.users.list(), id);
    if (decision.kind === 'refuse') return { ok: false, code: decision.code, detail: decision.detail };
    let user: UserObject;
    try {
      if (decision.kind === 'create') {
        user = await deps.kube.request<UserObject>({
          method: 'POST',
          path: paths.users(),
          body: {
            apiVersion: BUTLER_API_VERSION,
            kind: 'User',
            metadata: { name: decision.name, labels: { [LABEL_MANAGED_BY]: 'butler' } },
            spec: decision.spec,
          },
        });
      } else if (Object.keys(decision.specPatch).length > 0) {
        user = await deps.kube.request<UserObject>({
          method: 'PATCH',
          path: paths.user(decision.user.metadata.name!),
          contentType: 'application/merge-patch+json',
          body: { spec: decision.specPatch },
        });
      } else user = decision.user;
    } catch (err) {
      // Created by a parallel sign-in (another replica): decide again with the cache caught up.
      if (isKubeStatus(err, 409) && attempt === 0) {
        await deps.users.cache.waitForResourceVersion(deps.users.cache.resourceVersion, 2000);
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      return { ok: false, code: 'session_creation_failed', detail: err instanceof Error ? err.message : String(err) };
    }
    const created = decision.kind === 'create';
    try {
      await deps.kube.request({
        method: 'PATCH',
        path: paths.userStatus(user.metadata.name!),
        contentType: 'application/merge-patch+json',
        body: {
          status: {
            ...(created || !user.status?.phase ? { phase: 'Active' } : {}),
            lastSeenGroups: id.groups,
            lastLoginTime: rfc3339(new Date()),
            loginCount: (user.status?.loginCount ?? 0) + 1,
          },
        },
      });
    } catch {
      // Bookkeeping only: the sign-in itself stands.
    }
    return { ok: true, user };
  }
  return { ok: false, code: 'session_creation_failed', detail: 'the user changed during sign-in' };
}
