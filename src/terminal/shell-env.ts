// The local shell's environment, built from scratch (docs/api.md §6.3): nothing of the server's environment leaks in,
// no BUTLER_*, no KUBERNETES_SERVICE_* (kubectl must not fall back to the server's in-cluster identity), no proxies.
import { accessSync, constants } from 'node:fs';
import { SESSION_MARKER_ENV } from './process-tree.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const SHELLS = ['/bin/bash', '/usr/bin/bash', '/bin/sh'];

/** bash when present, else sh. */
export function chooseShell(): string {
  for (const shell of SHELLS) {
    try {
      accessSync(shell, constants.X_OK);
      return shell;
    } catch {
      // next
    }
  }
  return '/bin/sh';
}

/** The PATH the shell gets: the server's own (where kubectl was installed), or a standard one. */
function safePath(serverPath: string | undefined): string {
  const entries = (serverPath ?? '').split(':').filter((p) => p.startsWith('/'));
  return entries.length ? entries.join(':') : DEFAULT_PATH;
}

export function buildShellEnv(o: {
  shell: string;
  home: string;
  kubeconfigPath: string;
  /** `management` or the tenant cluster's name, for PS1. */
  label: string;
  serverPath?: string;
  /** The per-session marker that finds every process of the terminal (process-tree.ts). */
  marker: string;
}): Record<string, string> {
  return {
    PATH: safePath(o.serverPath),
    HOME: o.home,
    SHELL: o.shell,
    TERM: 'xterm-256color',
    LANG: 'C.UTF-8',
    KUBECONFIG: o.kubeconfigPath,
    PS1: `[${o.label}] $ `,
    [SESSION_MARKER_ENV]: o.marker,
  };
}
