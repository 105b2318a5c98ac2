#!/usr/bin/env node
// Finds every *.test.ts below the given folders or files (default: sim, src, test, demo) and runs them with node's test runner.
// Node 20 has no glob support in `node --test`, hence this small launcher.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('--'));
const files = [];
function walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(p);
  }
}
for (const r of roots.length ? roots : ['sim', 'src', 'test', 'demo']) {
  if (statSync(r, { throwIfNoEntry: false })?.isFile()) files.push(r);
  else walk(r);
}
files.sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
// Every test (and subtest, and each file as a whole) fails after this long instead of hanging the run; a test that legitimately needs more
// passes its own `{ timeout }`. --test-force-exit ends a file's process once its tests are done, so a handle left open
// cannot keep the run alive either.
const timeoutMs = process.env.TEST_TIMEOUT_MS ?? '600000';
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${timeoutMs}`,
    '--test-force-exit',
    '--test-reporter=spec',
    ...passThrough,
    ...files,
  ],
  // Every answer serialised through a response schema is compared with plain JSON (src/http/serializer.ts): a schema
  // that would drop or change a field fails the request in every test.
  { stdio: 'inherit', env: { BUTLER_CHECK_RESPONSE_SCHEMAS: '1', ...process.env } },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
