// Maps a raw URL path to a regular file inside the root, or undefined. Decoded exactly once; dot-segments,
// NUL and backslashes refused; the real path (symlinks resolved) must stay inside the real root.

import { realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, sep } from 'node:path';

export interface ResolvedFile {
  path: string;
  stats: Stats;
}

/** The decoded path, or undefined when it is malformed or unsafe to look up. */
export function decodeRequestPath(rawPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s.startsWith('.'))) return undefined;
  return '/' + segments.join('/');
}

/** A regular file at `relPath` (already decoded and checked) inside `realRoot`, or undefined. */
export async function resolveFile(realRoot: string, relPath: string): Promise<ResolvedFile | undefined> {
  const candidate = join(realRoot, relPath);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return undefined;
  }
  if (real !== realRoot && !real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) return undefined;
  try {
    const stats = await stat(real);
    return stats.isFile() ? { path: real, stats } : undefined;
  } catch {
    return undefined;
  }
}
