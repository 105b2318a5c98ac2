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
const FLAG_NAMES = '--addr, --kubeconfig, --dev, --static-dir, --version, --demo, --help';

/** `butler-server --help`: every flag of the server and of `--demo`. */
export const USAGE = `Usage:
  butler-server [--addr :8080] [--kubeconfig PATH] [--dev] [--static-dir DIR]
  butler-server --demo [--addr 127.0.0.1:8080] [--kubectl-addr 127.0.0.1:8443] [--static-dir DIR]
  butler-server --version | --help

Flags (also accepted as -flag and --flag=value):
  --addr HOST:PORT      listen address (default :8080; the demo: 127.0.0.1:8080)
  --kubeconfig PATH     kubeconfig of the management cluster (else KUBECONFIG, else in-cluster credentials)
  --dev                 development mode: readable logs, generated secrets, CORS for a UI dev server on :3000
  --static-dir DIR      the console build to serve (overrides BUTLER_STATIC_DIR)
  --demo                run the self-contained demo (simulated management cluster, controller, providers)
  --kubectl-addr H:P    demo only: the HTTPS listener for kubectl (default 127.0.0.1:8443)
  --version             print the version and git revision, then exit
  -h, --help            print this help, then exit

Every other setting is a BUTLER_* environment variable; see README.md and docs/configuration.md.
`;

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
      throw new ConfigError(`unknown flag "${arg}" (flags: ${FLAG_NAMES}; --help shows them all)`);
    }
  }
  return flags;
}

/** True when the arguments ask for help (`--help`, `-help`, `-h`); checked before anything else. */
export function wantsHelp(argv: string[]): boolean {
  return argv.some((a) => a === '-h' || /^--?help(=true)?$/.test(a));
}

/** True when the arguments ask for the version; checked before any other parsing so `--version` never reads configuration. */
export function wantsVersion(argv: string[]): boolean {
  return argv.some((a) => /^--?version(=true)?$/.test(a));
}
