// scripts/run-tests.mjs gives every test a timeout: a test waiting on an event that never comes fails, and the run
// ends, instead of hanging CI.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

test('a hanging test fails after the per-test timeout and the runner exits non-zero', async () => {
  // Without NODE_TEST_CONTEXT, which would make the inner runner think it is nested in this one.
  const { NODE_TEST_CONTEXT: _nested, ...env } = process.env;
  const child = spawn(process.execPath, ['scripts/run-tests.mjs', 'test/core/fixtures/waits-forever.ts'], {
    env: { ...env, TEST_TIMEOUT_MS: '1500' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(killer);
  assert.notEqual(code, null, `the runner was killed: it hung\n${out}`);
  assert.notEqual(code, 0, out);
  assert.match(out, /timed out after 1500ms/, out);
});
