// Logs: JSON lines by default; readable lines with --dev (and BUTLER_LOG_FORMAT=pretty); an unreachable Kubernetes
// API is reported as one short line per retry (the error's message), never a stack trace.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startServerProcess } from '../helpers/process.js';

const dir = mkdtempSync(join(tmpdir(), 'butler-log-format-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { BUTLER_JWT_SECRET: 'k'.repeat(40), BUTLER_ADMIN_PASSWORD: 'a-real-password' };

/** A kubeconfig for a port nothing listens on (taken, then released). */
async function unreachableKubeconfig(): Promise<string> {
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  const path = join(dir, `kubeconfig-${port}`);
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: down, cluster: {server: "http://127.0.0.1:${port}"}}]`,
      'users: [{name: down, user: {token: abc}}]',
      'contexts: [{name: down, context: {cluster: down, user: down}}]',
      'current-context: down',
    ].join('\n'),
  );
  return path;
}

async function retryLines(args: string[], extraEnv: Record<string, string> = {}): Promise<string[]> {
  const server = await startServerProcess({
    args: ['--kubeconfig', await unreachableKubeconfig(), '--addr', '127.0.0.1:0', ...args],
    env: { ...env, ...extraEnv },
    startTimeoutMs: 60_000,
  });
  try {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (server.stdout().match(/retrying/g) ?? []).length < 3)
      await new Promise((r) => setTimeout(r, 100));
  } finally {
    await server.stop();
  }
  return server.stdout().trimEnd().split('\n');
}

test('JSON by default: one JSON object per line, retries as one line with the error message and no stack', async () => {
  const lines = await retryLines([]);
  for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line);
  const retries = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => /retrying/.test(String(l.msg)));
  assert.ok(retries.length >= 3, lines.join('\n'));
  for (const r of retries) {
    assert.match(String(r.error), /ECONNREFUSED/);
    assert.ok(!JSON.stringify(r).includes('stack') && !JSON.stringify(r).includes('    at '), JSON.stringify(r));
  }
});

test('--dev and BUTLER_LOG_FORMAT=pretty print readable lines, one per retry', async () => {
  for (const [args, extra] of [
    [['--dev'], {}],
    [[], { BUTLER_LOG_FORMAT: 'pretty' }],
  ] as const) {
    const lines = await retryLines([...args], extra);
    assert.ok(lines.length >= 4, lines.join('\n'));
    for (const line of lines) assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN|ERROR|DEBUG): /, line);
    const retries = lines.filter((l) => l.includes('retrying'));
    assert.ok(retries.length >= 3, lines.join('\n'));
    for (const r of retries) assert.match(r, /^\[[\d:.]+\] WARN: .*retrying .*ECONNREFUSED/);
    assert.ok(!lines.some((l) => /^\s+at /.test(l)), 'no stack trace lines');
  }
});
