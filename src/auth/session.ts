// JWT sessions (docs/api.md §2.2): HS256 pinned, issuer checked, 30 s leeway, jti of 128 random bits, and no token may live longer than
// the configured TTL, whoever signed it. A token carries who the user is (identity), never what they may do: teams
// and roles are resolved on every request (src/identity/principal.ts).
import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Config } from '../config/types.js';

export const TOKEN_ISSUER = 'butler-server';
export const SESSION_COOKIE = 'butler_session';
/** The first server version's cookie: never accepted, cleared on login. */
export const LEGACY_SESSION_COOKIE = 'butler_token';
const LEEWAY_SECONDS = 30;
const JTI_PATTERN = /^[0-9a-f]{32}$/;
const MAX_GROUPS = 256;

/**
 * `session`: a browser/API session (cookie or Bearer, everywhere). `kubectl`: a token issued inside a downloaded
 * kubeconfig, accepted only as a Bearer header on the Kubernetes API proxy (`/api/proxy/...`).
 */
export type TokenKind = 'session' | 'kubectl';

/** Who a session belongs to. A token names the user, never their rights (resolved per request). */
export interface Identity {
  /** `internal:<username>`, `legacy:admin` (the bootstrap admin) or an IdP subject. */
  subject: string;
  /** The login name: the User's name, or the bootstrap admin's username. Used for audit lines and per-user limits. */
  username: string;
  /** Canonical identity (lowercase): team membership, impersonation, audit. */
  email: string;
  name: string;
  /** `internal`, `legacy`, or the SSO provider's display name. */
  provider: string;
  picture?: string;
  /** IdP groups captured at login (empty for internal users). */
  groups: string[];
  /** SSO sessions: the IdentityProvider object the user signed in with (its platformRoleGroups apply). */
  idp?: string;
}

export interface Session extends Identity {
  kind: TokenKind;
  jti: string;
  /** Issue time, seconds since the epoch. */
  iat: number;
  /** Expiry, seconds since the epoch. */
  exp: number;
  source: 'cookie' | 'bearer';
}

export interface IssuedToken {
  token: string;
  jti: string;
  expiresAt: Date;
}

export interface TokenService {
  issue(identity: Identity): Promise<IssuedToken>;
  /** A kubectl token: own jti, own lifetime (BUTLER_KUBECTL_TOKEN_TTL), claim `kind: "kubectl"`. */
  issueKubectl(identity: Identity): Promise<IssuedToken>;
  /** The claims of a valid token (signature, alg, iss, nbf..exp, jti), or null. Revocation is not checked here. */
  verify(token: string): Promise<Omit<Session, 'source'> | null>;
}

export const newJti = (): string => randomBytes(16).toString('hex');

const str = (x: unknown): x is string => typeof x === 'string';

/** Issued no later than now and valid for at most the TTL, both within the leeway. */
function withinLifetime(iat: unknown, exp: unknown, ttlSeconds: number): boolean {
  if (typeof iat !== 'number' || typeof exp !== 'number') return false;
  const now = Math.floor(Date.now() / 1000);
  return iat <= now + LEEWAY_SECONDS && exp - iat <= ttlSeconds + LEEWAY_SECONDS;
}

/** The identity part of a session (what a re-issued token carries). */
export const identityOf = (s: Identity): Identity => ({
  subject: s.subject,
  username: s.username,
  email: s.email,
  name: s.name,
  provider: s.provider,
  ...(s.picture ? { picture: s.picture } : {}),
  groups: s.groups,
  ...(s.idp ? { idp: s.idp } : {}),
});

export function createTokenService(config: Config): TokenService {
  const key = new TextEncoder().encode(config.auth.jwtSecret);
  const seconds = (ms: number) => Math.max(1, Math.round(ms / 1000));
  const sessionTtlSeconds = seconds(config.auth.tokenTtlMs);
  const kubectlTtlSeconds = seconds(config.auth.kubectlTokenTtlMs);
  const sign = async (identity: Identity, kind: TokenKind, ttlSeconds: number): Promise<IssuedToken> => {
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + ttlSeconds;
    const jti = newJti();
    const claims: Record<string, unknown> = {
      subject: identity.subject,
      username: identity.username,
      email: identity.email,
      name: identity.name,
      provider: identity.provider,
      groups: identity.groups.slice(0, MAX_GROUPS),
      ...(identity.picture ? { picture: identity.picture } : {}),
      ...(identity.idp ? { idp: identity.idp } : {}),
      // Session tokens carry no `kind` claim; only kubectl tokens are marked.
      ...(kind === 'kubectl' ? { kind } : {}),
    };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(identity.subject)
      .setIssuer(TOKEN_ISSUER)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(key);
    return { token, jti, expiresAt: new Date(exp * 1000) };
  };
  return {
    issue: (identity) => sign(identity, 'session', sessionTtlSeconds),
    issueKubectl: (identity) => sign(identity, 'kubectl', kubectlTtlSeconds),
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: TOKEN_ISSUER,
          clockTolerance: LEEWAY_SECONDS,
          requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        });
        const { subject, username, email, name, provider, picture, groups, idp, jti, exp, iat, sub, kind } = payload;
        if (kind !== undefined && kind !== 'kubectl') return null;
        const ttl = kind === 'kubectl' ? kubectlTtlSeconds : sessionTtlSeconds;
        if (!withinLifetime(iat, exp, ttl) || typeof iat !== 'number') return null;
        if (!str(subject) || !subject || sub !== subject) return null;
        if (!str(username) || !username || !str(email) || !email || !str(name) || !str(provider)) return null;
        if (!str(jti) || !JTI_PATTERN.test(jti) || typeof exp !== 'number') return null;
        if (!Array.isArray(groups) || !groups.every(str)) return null;
        return {
          subject,
          username,
          email,
          name,
          provider,
          ...(str(picture) && picture ? { picture } : {}),
          groups: groups as string[],
          ...(str(idp) && idp ? { idp } : {}),
          kind: kind ?? 'session',
          jti,
          exp,
          iat,
        };
      } catch {
        return null;
      }
    },
  };
}
