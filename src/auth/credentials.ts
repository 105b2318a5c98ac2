// Constant-time credential check (docs/api.md §2.6).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { verify as argon2Verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import type { Config } from '../config/types.js';

export type CredentialCheck = (username: string, password: string) => Promise<boolean>;

export function createCredentialCheck(auth: Config['auth']): CredentialCheck {
  const key = randomBytes(32);
  const mac = (s: string) => createHmac('sha256', key).update(s, 'utf8').digest();
  const expectedUser = mac(auth.adminUsername);
  const hash = auth.adminPasswordHash;
  const expectedPassword = hash === undefined ? mac(auth.adminPassword ?? '') : undefined;
  if (hash === undefined && !auth.adminPassword) throw new Error('no admin password configured');

  async function passwordMatches(password: string): Promise<boolean> {
    if (expectedPassword) return timingSafeEqual(mac(password), expectedPassword);
    try {
      if (hash!.startsWith('$argon2')) return await argon2Verify(hash!, password);
      return await bcrypt.compare(password, hash!);
    } catch {
      return false;
    }
  }

  return async (username, password) => {
    // Both comparisons always run: no early return on a wrong name.
    const userOk = timingSafeEqual(mac(username), expectedUser);
    const passwordOk = await passwordMatches(password);
    return userOk && passwordOk;
  };
}
