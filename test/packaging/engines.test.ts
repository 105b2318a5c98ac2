// `engines` says Node >= 20.19: every installed package must accept that, or `npm ci` on Node 20 warns EBADENGINE
// (cookie 2.x asks for Node 22: @fastify/cookie 11.1.0 and light-my-request 6.6 use cookie 1.x, which supports Node 20;
// 20.19 and not 20.18 because the linter's eslint-visitor-keys 5 needs it).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import semver from 'semver';
import { REPO_ROOT } from '../helpers/process.js';

interface LockPackage {
  version?: string;
  engines?: { node?: string } | string[];
}

test('every package in package-lock.json runs on the oldest Node that package.json allows', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  const oldest = semver.minVersion(pkg.engines.node);
  assert.ok(oldest, `engines.node "${pkg.engines.node}" has a lowest version`);
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockPackage>;
  };
  const refusing: string[] = [];
  let checked = 0;
  for (const [path, entry] of Object.entries(lock.packages)) {
    const range = !Array.isArray(entry.engines) ? entry.engines?.node : undefined;
    if (!path || range === undefined) continue;
    checked++;
    if (!semver.satisfies(oldest, range, { includePrerelease: true }))
      refusing.push(`${path}@${entry.version}: node ${range}`);
  }
  assert.ok(checked > 20, `only ${checked} packages declare engines`);
  assert.deepEqual(refusing, [], `these packages refuse Node ${oldest.version}`);
});
