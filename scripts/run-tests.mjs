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
// Files that measure how long a newcomer waits (`npm run demo` printing its credentials within 10 s) run first and
// alone, as on a newcomer's machine; with another test file beside them on two cores they would measure the sharing.
const ALONE = new Set(['demo/demo.test.ts']);
const alone = files.filter((f) => ALONE.has(f.replaceAll('\\', '/')));
const together = files.filter((f) => !alone.includes(f));

function run(group, groupConcurrency) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        `--test-concurrency=${groupConcurrency}`,
        `--test-timeout=${timeoutMs}`,
        '--test-force-exit',
        '--test-reporter=spec',
        ...passThrough,
        ...group,
      ],
      // Every answer serialised through a response schema is compared with plain JSON (src/http/serializer.ts): a
      // schema that would drop or change a field fails the request in every test.
      { stdio: 'inherit', env: { BUTLER_CHECK_RESPONSE_SCHEMAS: '1', ...process.env } },
    );
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

let status = 0;
if (alone.length > 0) status = await run(alone, 1);
if (together.length > 0) status = (await run(together, concurrency)) || status;
process.exit(status);
