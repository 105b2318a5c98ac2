// Password hashing for internal users: argon2id (hashes written by upstream Butler in bcrypt are still verified).
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';

export const MIN_PASSWORD_LENGTH = 8;
/** Longer passwords are refused: hashing cost must stay bounded whatever a client sends. */
export const MAX_PASSWORD_LENGTH = 256;

// The library's defaults are argon2id with OWASP's baseline (19 MiB, 2 iterations, 1 lane); pinned here.
const ARGON2_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** The problem with a new password, or undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH)
    return `password does not meet requirements: password must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH)
    return `password does not meet requirements: password must be at most ${MAX_PASSWORD_LENGTH} characters`;
  return undefined;
}

export const hashPassword = (password: string): Promise<string> => argon2Hash(password, ARGON2_OPTIONS);

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    if (stored.startsWith('$argon2')) return await argon2Verify(stored, password);
    if (/^\$2[aby]\$/.test(stored)) return await bcrypt.compare(password, stored);
    return false;
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/** Spends the time of one verification, so an unknown user answers as slowly as a wrong password. */
export async function verifyAgainstNothing(password: string): Promise<false> {
  dummy ??= hashPassword('not-a-real-password-0');
  await verifyPassword(await dummy, password);
  return false;
}
