// JWT sessions (docs/api.md §2.2): HS256 pinned, issuer checked, 30 s leeway, jti of 128 random bits, and no token may
// live longer than the configured TTL, whoever signed it.
import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Config } from '../config/types.js';

export const TOKEN_ISSUER = 'butler-server';
export const SESSION_COOKIE = 'butler_token';
const LEEWAY_SECONDS = 30;
const JTI_PATTERN = /^[0-9a-f]{32}$/;

/**
 * `session`: a browser/API session (cookie or Bearer, everywhere). `kubectl`: a token issued inside a downloaded
 * kubeconfig, accepted only as a Bearer header on the Kubernetes API proxy (`/api/proxy/...`).
 */
export type TokenKind = 'session' | 'kubectl';

export interface Session {
  username: string;
  role: 'admin';
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
  issue(username: string): Promise<IssuedToken>;
  /** A kubectl token: own jti, own lifetime (BUTLER_KUBECTL_TOKEN_TTL), claim `kind: "kubectl"`. */
  issueKubectl(username: string): Promise<IssuedToken>;
  /** The claims of a valid token (signature, alg, iss, nbf..exp, jti), or null. Revocation is not checked here. */
  verify(token: string): Promise<Omit<Session, 'source'> | null>;
}

export const newJti = (): string => randomBytes(16).toString('hex');

/** Issued no later than now and valid for at most the TTL, both within the leeway. */
function withinLifetime(iat: unknown, exp: unknown, ttlSeconds: number): boolean {
  if (typeof iat !== 'number' || typeof exp !== 'number') return false;
  const now = Math.floor(Date.now() / 1000);
  return iat <= now + LEEWAY_SECONDS && exp - iat <= ttlSeconds + LEEWAY_SECONDS;
}

export function createTokenService(config: Config): TokenService {
  const key = new TextEncoder().encode(config.auth.jwtSecret);
  const seconds = (ms: number) => Math.max(1, Math.round(ms / 1000));
  const sessionTtlSeconds = seconds(config.auth.tokenTtlMs);
  const kubectlTtlSeconds = seconds(config.auth.kubectlTokenTtlMs);
  const sign = async (username: string, kind: TokenKind, ttlSeconds: number): Promise<IssuedToken> => {
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + ttlSeconds;
    const jti = newJti();
    // Session tokens carry no `kind` claim (as before); only kubectl tokens are marked.
    const claims = kind === 'kubectl' ? { username, role: 'admin', kind } : { username, role: 'admin' };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(username)
      .setIssuer(TOKEN_ISSUER)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(key);
    return { token, jti, expiresAt: new Date(exp * 1000) };
  };
  return {
    issue: (username) => sign(username, 'session', sessionTtlSeconds),
    issueKubectl: (username) => sign(username, 'kubectl', kubectlTtlSeconds),
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: TOKEN_ISSUER,
          clockTolerance: LEEWAY_SECONDS,
          requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        });
        const { username, role, jti, exp, iat, sub, kind } = payload;
        if (kind !== undefined && kind !== 'kubectl') return null;
        const ttl = kind === 'kubectl' ? kubectlTtlSeconds : sessionTtlSeconds;
        if (!withinLifetime(iat, exp, ttl) || typeof iat !== 'number') return null;
        if (typeof username !== 'string' || !username || sub !== username) return null;
        if (role !== 'admin' || typeof jti !== 'string' || !JTI_PATTERN.test(jti) || typeof exp !== 'number')
          return null;
        return { username, role, kind: kind ?? 'session', jti, exp, iat };
      } catch {
        return null;
      }
    },
  };
}
