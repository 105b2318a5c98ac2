// Secrets come from the variable itself or from a file named by `<VAR>_FILE` (Kubernetes Secret volumes).

import { readFileSync } from 'node:fs';
import { ConfigError } from './parse.js';

export function readSecret(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct && file) throw new ConfigError(`${name}: set either ${name} or ${name}_FILE, not both`);
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ConfigError(`${name}_FILE: cannot read ${file} (${code})`);
    }
    // Files written with `echo` or by editors end in a newline that is not part of the secret.
    const value = text.replace(/[\r\n]+$/, '');
    if (value === '') throw new ConfigError(`${name}_FILE: ${file} is empty`);
    return value;
  }
  return direct === '' ? undefined : direct;
}
