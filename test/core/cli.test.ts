// The real command: --version, and start-up refusals (exit ≠ 0, one clear line naming the setting).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from '../helpers/process.js';

const dir = mkdtempSync(join(tmpdir(), 'butler-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const kubeconfig = join(dir, 'kubeconfig');
writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\n');
const good = { BUTLER_JWT_SECRET: 'k'.repeat(40), BUTLER_ADMIN_PASSWORD: 'a-real-password' };

test('--version and -version print the version and revision without reading configuration', async () => {
  for (const flag of ['--version', '-version']) {
    // No secrets, no kubeconfig: configuration would be refused if it were read.
    const r = await runCli([flag], {}, 40_000);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^butler-server \d+\.\d+\.\d+\S* \(([0-9a-f]{7,40}|unknown)\)\n$/);
    assert.equal(r.stderr, '');
  }
});

test('--help, -help and -h print the usage with every flag (and the demo) and exit 0 without reading configuration', async () => {
  for (const flag of ['--help', '-help', '-h']) {
    const r = await runCli([flag], {}, 40_000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^Usage:\n/);
    for (const f of [
      '--addr',
      '--kubeconfig',
      '--dev',
      '--static-dir',
      '--demo',
      '--kubectl-addr',
      '--version',
      '--help',
    ])
      assert.ok(r.stdout.includes(f), `usage names ${f}:\n${r.stdout}`);
  }
});

// Other invalid settings are covered in-process by src/config/load.test.ts; each process start costs a second or more.
describe('start-up refusals', () => {
  const cases: { name: string; args: string[]; env: Record<string, string>; message: RegExp }[] = [
    {
      name: 'missing BUTLER_JWT_SECRET',
      args: ['--kubeconfig', kubeconfig],
      env: { BUTLER_ADMIN_PASSWORD: 'a-real-password' },
      message: /BUTLER_JWT_SECRET is required/,
    },
    {
      name: '16-byte BUTLER_JWT_SECRET',
      args: ['--kubeconfig', kubeconfig],
      env: { ...good, BUTLER_JWT_SECRET: '0123456789abcdef' },
      message: /BUTLER_JWT_SECRET is too short \(16 bytes/,
    },
    {
      name: 'missing password',
      args: ['--kubeconfig', kubeconfig],
      env: { BUTLER_JWT_SECRET: good.BUTLER_JWT_SECRET },
      message: /BUTLER_ADMIN_PASSWORD \(or BUTLER_ADMIN_PASSWORD_HASH\) is required/,
    },
    {
      name: 'unknown flag',
      args: ['--kubeconfig', kubeconfig, '--port', '80'],
      env: good,
      message: /unknown flag "--port"/,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const r = await runCli(c.args, c.env, 40_000);
      assert.notEqual(r.code, 0);
      assert.equal(r.code, 2);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `one line expected:\n${r.stderr}`);
      assert.match(lines[0]!, /^butler-server: /);
      assert.match(lines[0]!, c.message);
      assert.equal(r.stdout, '');
    });
  }
});
