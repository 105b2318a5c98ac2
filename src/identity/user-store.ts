// The user store: User objects (cluster-scoped) read from one watch cache with an email index, and every write the
// server makes to them and to their password Secrets (which the server owns and deletes with the user).
import type { Config } from '../config/types.js';
import type { KubeObject, ResourceCache } from '../kube/cache.js';
import type { KubeClient } from '../kube/client.js';
import { isKubeStatus } from '../kube/errors.js';
import { hashInviteToken, inviteHashMatches, isInviteTokenShaped, newInviteToken } from './invites.js';
import { normaliseEmail } from './membership.js';
import { hashPassword, verifyAgainstNothing, verifyPassword } from './passwords.js';
import { LABEL_MANAGED_BY, LABEL_USER, passwordSecretName } from './paths.js';
import { higherPlatformRole, isPlatformRole, type PlatformRole } from './roles.js';
import { BUTLER_API_VERSION, paths } from '../kube/butler.js';

export interface UserSpec {
  email?: string;
  displayName?: string;
  avatar?: string;
  authType?: 'internal' | 'sso';
  disabled?: boolean;
  isPlatformAdmin?: boolean;
  platformRole?: string;
  ssoProvider?: string;
  ssoSubject?: string;
  passwordSecretRef?: SecretRef;
}

export interface SecretRef {
  name?: string;
  namespace?: string;
  key?: string;
}

export interface UserStatus {
  phase?: string;
  passwordSecretRef?: SecretRef;
  inviteTokenHash?: string;
  inviteExpiresAt?: string;
  inviteSentAt?: string;
  passwordChangedAt?: string;
  lastLoginTime?: string;
  loginCount?: number;
  failedLoginAttempts?: number;
  lockedUntil?: string;
  lastSeenGroups?: string[];
}

export interface UserObject extends KubeObject {
  spec?: UserSpec & Record<string, unknown>;
  status?: UserStatus & Record<string, unknown>;
}

const WRITE_VISIBLE_MS = 3000;

export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Effective platform role from the User object: the higher of `spec.platformRole` and `spec.isPlatformAdmin`. */
export function platformRoleOf(user: UserObject | undefined): PlatformRole | undefined {
  if (!user) return undefined;
  const explicit = isPlatformRole(user.spec?.platformRole) ? user.spec.platformRole : undefined;
  return higherPlatformRole(explicit, user.spec?.isPlatformAdmin === true ? 'admin' : undefined);
}

/** Phase as shown: absent is Active. */
export const phaseOf = (user: UserObject): string => user.status?.phase || 'Active';

export interface UserStore {
  readonly cache: ResourceCache<UserObject>;
  readonly synced: boolean;
  byName(name: string): UserObject | undefined;
  byEmail(email: string): UserObject | undefined;
  /** The User whose name equals the identifier, else whose email equals it (case-insensitive). */
  find(identifier: string): UserObject | undefined;
  list(): UserObject[];
  /** Creates an internal user in phase Pending with a fresh invite; returns the User and the invite token. */
  createInvited(o: { name: string; email: string; displayName?: string }): Promise<{ user: UserObject; token: string }>;
  /** New invite token for an existing user (phase Pending again). */
  regenerateInvite(name: string): Promise<{ user: UserObject; token: string }>;
  /** The user an unexpired invite token belongs to, or undefined. */
  findByInvite(token: string): UserObject | undefined;
  /** Stores the password hash in the user's Secret and makes the user Active; the invite is used up. */
  setPassword(user: UserObject, password: string): Promise<UserObject>;
  /** Whether the password matches the user's stored hash (false without a usable Secret). */
  checkPassword(user: UserObject | undefined, password: string): Promise<boolean>;
  recordLoginSuccess(user: UserObject): Promise<void>;
  /** Counts a failed login; returns true when the user is now locked. */
  recordLoginFailure(user: UserObject): Promise<boolean>;
  setDisabled(name: string, disabled: boolean): Promise<UserObject>;
  /** Deletes the User and its password Secret. */
  delete(name: string): Promise<void>;
  /** Called after every change of any User. */
  onChange(listener: () => void): () => void;
}

export function createUserStore(
  kube: KubeClient,
  cache: ResourceCache<UserObject>,
  config: Pick<Config, 'systemNamespace' | 'identity'>,
): UserStore {
  let byEmailIndex: Map<string, UserObject> | undefined;
  const listeners = new Set<() => void>();
  cache.subscribe((s) => {
    if (s.type !== 'RESYNC' && s.relist) return;
    byEmailIndex = undefined;
    for (const l of listeners) l();
  });

  function emailIndex(): Map<string, UserObject> {
    if (byEmailIndex) return byEmailIndex;
    const map = new Map<string, UserObject>();
    for (const u of cache.list()) {
      const email = typeof u.spec?.email === 'string' ? normaliseEmail(u.spec.email) : '';
      // Two Users with one email: the first by name wins, consistently.
      if (email && !map.has(email)) map.set(email, u);
    }
    byEmailIndex = map;
    return map;
  }

  /** Read-your-writes: a write's answer waits (bounded) until the cache has it, so the next request sees it. */
  async function visible(user: UserObject): Promise<UserObject> {
    const rv = user.metadata?.resourceVersion;
    if (rv && cache.synced) await cache.waitForResourceVersion(rv, WRITE_VISIBLE_MS);
    return user;
  }

  const patchStatus = async (name: string, status: Record<string, unknown>) =>
    visible(
      await kube.request<UserObject>({
        method: 'PATCH',
        path: paths.userStatus(name),
        contentType: 'application/merge-patch+json',
        body: { status },
      }),
    );

  const patchSpec = async (name: string, spec: Record<string, unknown>) =>
    visible(
      await kube.request<UserObject>({
        method: 'PATCH',
        path: paths.user(name),
        contentType: 'application/merge-patch+json',
        body: { spec },
      }),
    );

  async function issueInvite(name: string): Promise<{ user: UserObject; token: string }> {
    const token = newInviteToken();
    const now = new Date();
    const user = await patchStatus(name, {
      phase: 'Pending',
      inviteTokenHash: hashInviteToken(token),
      inviteSentAt: rfc3339(now),
      inviteExpiresAt: rfc3339(new Date(now.getTime() + config.identity.inviteTtlMs)),
    });
    return { user, token };
  }

  function secretRefOf(user: UserObject): Required<SecretRef> | undefined {
    const ref = user.spec?.passwordSecretRef?.name ? user.spec.passwordSecretRef : user.status?.passwordSecretRef;
    if (!ref?.name) return undefined;
    return { name: ref.name, namespace: ref.namespace || config.systemNamespace, key: ref.key || 'password' };
  }

  return {
    cache,
    get synced() {
      return cache.synced;
    },
    byName: (name) => cache.get(undefined, name),
    byEmail: (email) => emailIndex().get(normaliseEmail(email)),
    find(identifier) {
      return cache.get(undefined, identifier) ?? emailIndex().get(normaliseEmail(identifier));
    },
    list: () => cache.list(),

    async createInvited(o) {
      await kube.request<UserObject>({
        method: 'POST',
        path: paths.users(),
        body: {
          apiVersion: BUTLER_API_VERSION,
          kind: 'User',
          metadata: { name: o.name, labels: { [LABEL_MANAGED_BY]: 'butler' } },
          spec: {
            email: normaliseEmail(o.email),
            ...(o.displayName ? { displayName: o.displayName } : {}),
            authType: 'internal',
            disabled: false,
          },
        },
      });
      return issueInvite(o.name);
    },

    regenerateInvite: (name) => issueInvite(name),

    findByInvite(token) {
      if (!isInviteTokenShaped(token)) return undefined;
      const presented = hashInviteToken(token);
      const now = Date.now();
      let found: UserObject | undefined;
      // Every User is compared (no early exit), each in constant time.
      for (const u of cache.list()) {
        if (!inviteHashMatches(u.status?.inviteTokenHash, presented)) continue;
        const expires = Date.parse(u.status?.inviteExpiresAt ?? '');
        if (Number.isFinite(expires) && expires > now) found = u;
      }
      return found;
    },

    async setPassword(user, password) {
      const name = user.metadata.name!;
      const uid = (user.metadata as { uid?: string }).uid;
      const secretName = passwordSecretName(name);
      const ns = config.systemNamespace;
      const secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: {
          name: secretName,
          namespace: ns,
          labels: { [LABEL_MANAGED_BY]: 'butler', [LABEL_USER]: name },
          ...(uid
            ? {
                ownerReferences: [
                  {
                    apiVersion: BUTLER_API_VERSION,
                    kind: 'User',
                    name,
                    uid,
                  },
                ],
              }
            : {}),
        },
        stringData: { password: await hashPassword(password) },
      };
      try {
        await kube.request({ method: 'POST', path: paths.secrets(ns), body: secret });
      } catch (err) {
        if (!isKubeStatus(err, 409)) throw err;
        // A password set again (a new invite): replaced, so the server needs no update right on Secrets.
        await kube.request({ method: 'DELETE', path: paths.secret(ns, secretName) });
        await kube.request({ method: 'POST', path: paths.secrets(ns), body: secret });
      }
      return patchStatus(name, {
        phase: 'Active',
        passwordSecretRef: { name: secretName, namespace: ns, key: 'password' },
        passwordChangedAt: rfc3339(new Date()),
        inviteTokenHash: null,
        inviteExpiresAt: null,
        inviteSentAt: null,
        failedLoginAttempts: 0,
        lockedUntil: null,
      });
    },

    async checkPassword(user, password) {
      const ref = user ? secretRefOf(user) : undefined;
      if (!ref) return verifyAgainstNothing(password);
      let stored: string | undefined;
      try {
        const secret = await kube.request<{ data?: Record<string, string> }>({
          method: 'GET',
          path: paths.secret(ref.namespace, ref.name),
        });
        const b64 = secret.data?.[ref.key];
        stored = b64 ? Buffer.from(b64, 'base64').toString('utf8') : undefined;
      } catch (err) {
        if (!isKubeStatus(err, 404)) throw err;
      }
      if (!stored) return verifyAgainstNothing(password);
      return verifyPassword(stored, password);
    },

    async recordLoginSuccess(user) {
      await patchStatus(user.metadata.name!, {
        lastLoginTime: rfc3339(new Date()),
        loginCount: (user.status?.loginCount ?? 0) + 1,
        failedLoginAttempts: 0,
        lockedUntil: null,
        ...(user.status?.phase === 'Locked' ? { phase: 'Active' } : {}),
      });
    },

    async recordLoginFailure(user) {
      const failures = (user.status?.failedLoginAttempts ?? 0) + 1;
      const lock = failures >= config.identity.lockoutFailures;
      await patchStatus(user.metadata.name!, {
        failedLoginAttempts: failures,
        ...(lock ? { phase: 'Locked', lockedUntil: rfc3339(new Date(Date.now() + config.identity.lockoutMs)) } : {}),
      });
      return lock;
    },

    setDisabled: (name, disabled) => patchSpec(name, { disabled }),

    async delete(name) {
      const user = cache.get(undefined, name);
      const ref = user ? secretRefOf(user) : undefined;
      await kube.request({ method: 'DELETE', path: paths.user(name) });
      const deadline = Date.now() + WRITE_VISIBLE_MS;
      while (cache.get(undefined, name) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const ns = config.systemNamespace;
      const secrets = new Set([`${ns}/${passwordSecretName(name)}`]);
      // Only a Secret the server created for this user is deleted, never one a reference merely points to.
      if (ref && ref.name === passwordSecretName(name)) secrets.add(`${ref.namespace}/${ref.name}`);
      for (const s of secrets) {
        const [sns, sname] = s.split('/') as [string, string];
        try {
          await kube.request({ method: 'DELETE', path: paths.secret(sns, sname) });
        } catch (err) {
          if (!isKubeStatus(err, 404)) throw err;
        }
      }
    },

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
