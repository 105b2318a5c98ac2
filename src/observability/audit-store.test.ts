// The audit store on real files: bounded in bytes (two segments), read back after a "restart" (a new store on the same
// directory), a line cut short by a crash skipped, filters and paging newest first.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createAuditStore, entryOf, type AuditEntry } from './audit-store.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'audit-store-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const entry = (i: number, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  user: i % 2 ? 'alice' : 'bob',
  action: i % 3 ? 'cluster.create' : 'login.success',
  success: i % 5 !== 0,
  resource: `team-a/c${i}`,
  ...extra,
});
const size = (dir: string, f: string) => {
  try {
    return statSync(join(dir, f)).size;
  } catch {
    return 0;
  }
};

describe('audit store', () => {
  it('stays within its byte bound, dropping the oldest entries, and survives a restart', () => {
    const dir = tempDir();
    const maxBytes = 8 * 1024;
    const store = createAuditStore({ dir, maxBytes });
    for (let i = 0; i < 400; i++) store.record(entry(i));
    store.close();
    assert.ok(size(dir, 'audit.jsonl') + size(dir, 'audit.1.jsonl') <= maxBytes);
    const all = store.query({ limit: 500, offset: 0 });
    assert.ok(all.total > 20 && all.total < 400, `kept ${all.total}`);
    assert.equal(all.entries[0]!.resource, 'team-a/c399', 'newest first');

    const reopened = createAuditStore({ dir, maxBytes });
    const again = reopened.query({ limit: 500, offset: 0 });
    assert.deepEqual(again, all);
    reopened.record(entry(400));
    assert.equal(reopened.query({ limit: 1, offset: 0 }).entries[0]!.resource, 'team-a/c400');
    reopened.close();
  });

  it('skips a line cut short by a crash and trims files above a lowered bound', () => {
    const dir = tempDir();
    const store = createAuditStore({ dir, maxBytes: 64 * 1024 });
    for (let i = 0; i < 100; i++) store.record(entry(i));
    store.close();
    appendFileSync(join(dir, 'audit.jsonl'), '{"timestamp":"2026-01-0');
    const smaller = createAuditStore({ dir, maxBytes: 4096 });
    const page = smaller.query({ limit: 500, offset: 0 });
    assert.ok(page.total > 0 && page.total < 100);
    assert.equal(page.entries[0]!.resource, 'team-a/c99');
    assert.ok(size(dir, 'audit.jsonl') <= 2048);
    smaller.close();
  });

  it('filters by user, action (or its prefix), resource type, success and time, and pages', () => {
    const store = createAuditStore({ maxBytes: 1024 * 1024 });
    assert.equal(store.dir, undefined);
    for (let i = 0; i < 30; i++) {
      const e = entry(i);
      store.record(
        entryOf({
          event: e.action,
          user: e.user,
          target: e.resource,
          time: e.timestamp,
          result: e.success ? 'success' : 'failure',
        }),
      );
    }
    const q = (extra: object) => store.query({ limit: 100, offset: 0, ...extra });
    assert.equal(q({ user: 'ALI' }).total, 15);
    assert.equal(q({ action: 'login' }).total, 10);
    assert.equal(q({ action: 'login.success' }).total, 10);
    assert.equal(q({ action: 'log' }).total, 0);
    assert.equal(q({ resourceType: 'session' }).total, 10);
    assert.equal(q({ resourceType: 'cluster' }).total, 20);
    assert.equal(q({ success: false }).total, 6);
    assert.equal(
      q({ from: new Date(Date.UTC(2026, 0, 1, 0, 0, 10)), to: new Date(Date.UTC(2026, 0, 1, 0, 0, 19)) }).total,
      10,
    );
    const page = store.query({ limit: 7, offset: 7 });
    assert.equal(page.total, 30);
    assert.deepEqual(
      page.entries.map((e) => e.resource),
      [22, 21, 20, 19, 18, 17, 16].map((i) => `team-a/c${i}`),
    );
  });

  it('turns audit lines into entries: target split, success from result or status', () => {
    assert.deepEqual(
      entryOf({
        audit: true,
        time: '2026-01-01T00:00:00.000Z',
        event: 'addon.install',
        user: 'alice',
        address: '10.0.0.1',
        target: 'team-a/prod#longhorn',
        result: 'failure',
        status: 409,
        requestId: 'r-1',
      }),
      {
        timestamp: '2026-01-01T00:00:00.000Z',
        user: 'alice',
        action: 'addon.install',
        success: false,
        resource: 'team-a/prod#longhorn',
        resourceType: 'addon',
        resourceNamespace: 'team-a',
        resourceName: 'prod',
        statusCode: 409,
        errorMessage: 'failure',
        sourceIP: '10.0.0.1',
        requestId: 'r-1',
      },
    );
    const proxy = entryOf({ audit: true, event: 'proxy.request', user: 'bob', cluster: 'management', status: 200 });
    assert.equal(proxy.success, true);
    assert.equal(proxy.resource, 'management');
    assert.equal(entryOf({ audit: true, event: 'POST /api/teams', user: 'x', status: 201 }).resourceType, 'teams');
  });
});
