// The version string of `butler-server --version`: package version plus the git revision of the checkout, if any.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the nearest folder above this module holding butler-server's package.json (works from src/ and dist/src/). */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'butler-server') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    dir = dirname(dir);
  }
  return undefined;
}

let cachedVersion: string | undefined;

export function packageVersion(): string {
  if (cachedVersion === undefined) {
    const root = packageRoot();
    cachedVersion = root
      ? ((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0')
      : '0.0.0';
  }
  return cachedVersion;
}

/** Where an image build records its revision (no .git in the image): `<package root>/REVISION`. */
export const REVISION_FILE = 'REVISION';

export function gitRevision(root: string | undefined = packageRoot()): string {
  if (!root) return 'unknown';
  try {
    const stamped = readFileSync(join(root, REVISION_FILE), 'utf8').trim();
    if (/^[0-9a-f]{7,40}$/.test(stamped)) return stamped;
  } catch {
    // not an image build: ask git
  }
  try {
    const out = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    });
    return out.toString().trim() || 'unknown';
  } catch {
    return 'unknown'; // not a git checkout (installed package, container image)
  }
}

export function versionLine(): string {
  return `butler-server ${packageVersion()} (${gitRevision()})`;
}

export function printVersion(out: NodeJS.WritableStream = process.stdout): void {
  out.write(`${versionLine()}\n`);
}
