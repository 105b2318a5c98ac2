// JWT sessions (contract §2.2): HS256 pinned, issuer checked, 30 s leeway, jti of 128 random bits, and no token may
// live longer than the configured TTL, whoever signed it.
import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Config } from '../config/types.js';

export const TOKEN_ISSUER = 'butler-server';
export const SESSION_COOKIE = 'butler_token';
const LEEWAY_SECONDS = 30;
const JTI_PATTERN = /^[0-9a-f]{32}$/;

export interface Session {
  username: string;
  role: 'admin';
  jti: string;
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
  const ttlSeconds = Math.max(1, Math.round(config.auth.tokenTtlMs / 1000));
  return {
    async issue(username) {
      const iat = Math.floor(Date.now() / 1000);
      const exp = iat + ttlSeconds;
      const jti = newJti();
      const token = await new SignJWT({ username, role: 'admin' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(username)
        .setIssuer(TOKEN_ISSUER)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(exp)
        .setJti(jti)
        .sign(key);
      return { token, jti, expiresAt: new Date(exp * 1000) };
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: TOKEN_ISSUER,
          clockTolerance: LEEWAY_SECONDS,
          requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        });
        const { username, role, jti, exp, iat, sub } = payload;
        if (!withinLifetime(iat, exp, ttlSeconds)) return null;
        if (typeof username !== 'string' || !username || sub !== username) return null;
        if (role !== 'admin' || typeof jti !== 'string' || !JTI_PATTERN.test(jti) || typeof exp !== 'number')
          return null;
        return { username, role, jti, exp };
      } catch {
        return null;
      }
    },
  };
}
