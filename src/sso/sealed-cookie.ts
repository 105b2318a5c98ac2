// Short-lived browser-bound secrets (the sign-in transaction: state, nonce, PKCE verifier; the IdP refresh token)
// sealed into cookies: encrypted and authenticated (JWE, dir + A256GCM) with a key derived from the session
// secret, so any replica can open them and nobody else can read or change them. No server memory is involved.
import { hkdfSync } from 'node:crypto';
import { EncryptJWT, jwtDecrypt, type JWTPayload } from 'jose';

export interface Sealer {
  seal(payload: Record<string, unknown>, ttlSeconds: number): Promise<string>;
  /** The payload, or null when the value is not ours, was changed, or has expired. */
  open(value: string | undefined): Promise<JWTPayload | null>;
}

export function createSealer(secret: string, purpose: string): Sealer {
  const key = new Uint8Array(hkdfSync('sha256', secret, 'butler-server sealed cookie', purpose, 32));
  return {
    async seal(payload, ttlSeconds) {
      const now = Math.floor(Date.now() / 1000);
      return new EncryptJWT(payload)
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: purpose })
        .setIssuedAt(now)
        .setExpirationTime(now + ttlSeconds)
        .setAudience(purpose)
        .encrypt(key);
    },
    async open(value) {
      if (!value || value.length > 8192) return null;
      try {
        const { payload } = await jwtDecrypt(value, key, {
          audience: purpose,
          keyManagementAlgorithms: ['dir'],
          contentEncryptionAlgorithms: ['A256GCM'],
          requiredClaims: ['exp'],
        });
        return payload;
      } catch {
        return null;
      }
    },
  };
}
