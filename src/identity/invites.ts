// Invite tokens: 32 random bytes (64 hex characters) handed out once; only their SHA-256 is stored on the User.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const newInviteToken = (): string => randomBytes(32).toString('hex');

export const hashInviteToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

const INVITE_TOKEN = /^[0-9a-f]{64}$/;

export const isInviteTokenShaped = (token: string): boolean => INVITE_TOKEN.test(token);

/** Constant-time comparison of a stored hash with the hash of a presented token. */
export function inviteHashMatches(storedHash: unknown, presentedHash: string): boolean {
  if (typeof storedHash !== 'string' || storedHash.length !== presentedHash.length) return false;
  return timingSafeEqual(Buffer.from(storedHash, 'utf8'), Buffer.from(presentedHash, 'utf8'));
}
