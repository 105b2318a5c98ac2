// Command-line flags, accepted as `--flag value`, `--flag=value` and the single-dash forms the Go server used.

import { ConfigError } from './parse.js';

export interface Flags {
  addr?: string;
  kubeconfig?: string;
  dev: boolean;
  staticDir?: string;
  version: boolean;
}

const VALUE_FLAGS = { addr: 'addr', kubeconfig: 'kubeconfig', 'static-dir': 'staticDir' } as const;
const BOOL_FLAGS = { dev: 'dev', version: 'version' } as const;

export function parseFlags(argv: string[]): Flags {
  const flags: Flags = { dev: false, version: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--?([a-z][a-z-]*)(?:=(.*))?$/s.exec(arg);
    if (!match) throw new ConfigError(`unexpected argument "${arg}"`);
    const name = match[1]!;
    const inline = match[2];
    if (name in VALUE_FLAGS) {
      const value = inline ?? argv[++i];
      if (value === undefined || value === '') throw new ConfigError(`flag --${name} needs a value`);
      flags[VALUE_FLAGS[name as keyof typeof VALUE_FLAGS]] = value;
    } else if (name in BOOL_FLAGS) {
      let on = true;
      if (inline !== undefined) {
        if (!['true', 'false'].includes(inline))
          throw new ConfigError(`flag --${name}: "${inline}" is not true or false`);
        on = inline === 'true';
      }
      flags[BOOL_FLAGS[name as keyof typeof BOOL_FLAGS]] = on;
    } else {
      throw new ConfigError(`unknown flag "${arg}" (flags: --addr, --kubeconfig, --dev, --static-dir, --version)`);
    }
  }
  return flags;
}

/** True when the arguments ask for the version; checked before any other parsing so `--version` never reads configuration. */
export function wantsVersion(argv: string[]): boolean {
  return argv.some((a) => /^--?version(=true)?$/.test(a));
}
