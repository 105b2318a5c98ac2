// Unit tests of the small pure pieces: path parsing, client frames, scrollback trimming, UTF-8 splitting.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClientFrame } from './client-frames.js';
import { formatDuration } from './close-codes.js';
import { exitFromStatus } from './pod-exec.js';
import { Scrollback, splitUtf8 } from './scrollback.js';
import { parseTerminalPath } from './target.js';

describe('terminal paths', () => {
  test('the four forms, and everything else undefined', () => {
    assert.deepEqual(parseTerminalPath('/ws/terminal/management'), { kind: 'management-shell' });
    assert.deepEqual(parseTerminalPath('/ws/terminal/management/kube-system/p1/c'), {
      kind: 'management-pod',
      podNamespace: 'kube-system',
      pod: 'p1',
      container: 'c',
    });
    assert.deepEqual(parseTerminalPath('/ws/terminal/tenant/ns/c1'), {
      kind: 'tenant-shell',
      namespace: 'ns',
      cluster: 'c1',
    });
    assert.deepEqual(parseTerminalPath('/ws/terminal/tenant/ns/c1/web', 'apps'), {
      kind: 'tenant-pod',
      namespace: 'ns',
      cluster: 'c1',
      podNamespace: 'apps',
      pod: 'web',
    });
    assert.equal(parseTerminalPath('/ws/terminal/tenant/ns/c1/web')?.kind, 'tenant-pod');
    for (const bad of [
      '/ws/terminal/other/ns/c1',
      '/ws/terminal/tenant/ns',
      '/ws/terminal/management/ns',
      '/ws/terminal/tenant/NS/c1',
      '/ws/terminal/tenant/ns/c1/a/b/c',
      '/ws/terminal/tenant/ns/%2e%2e',
      '/ws/terminal/tenant/ns/%zz',
    ])
      assert.equal(parseTerminalPath(bad), undefined, bad);
    assert.equal(parseTerminalPath('/ws/terminal/tenant/ns/c1/web', 'Bad_NS'), undefined);
  });
});

describe('client frames', () => {
  const parse = (s: string) => parseClientFrame(Buffer.from(s), false);
  test('data, resize with bounds, everything else as-is', () => {
    assert.deepEqual(parse('{"type":"data","data":"ls\\r"}'), { kind: 'input', data: 'ls\r' });
    assert.deepEqual(parse('{"type":"resize","cols":1000,"rows":500}'), { kind: 'resize', cols: 1000, rows: 500 });
    assert.deepEqual(parse('{"type":"resize","cols":1001,"rows":5}'), { kind: 'ignored' });
    assert.deepEqual(parse('{"type":"resize","cols":"80","rows":5}'), { kind: 'ignored' });
    assert.deepEqual(parse('{"type":"other"}'), { kind: 'input', data: '{"type":"other"}' });
    assert.deepEqual(parse('{broken'), { kind: 'input', data: '{broken' });
    assert.deepEqual(parse('plain'), { kind: 'input', data: 'plain' });
    assert.deepEqual(parseClientFrame(Buffer.of(1, 2), true), { kind: 'input', data: Buffer.of(1, 2) });
  });
});

describe('scrollback', () => {
  test('keeps the newest bytes and never starts inside a character', () => {
    const s = new Scrollback(10);
    s.push('aaaa');
    s.push('€€€€');
    assert.ok(s.size <= 10);
    assert.equal(s.text(), '€€€');
    s.push('😀x');
    assert.equal(s.text(), '€😀x');
    assert.equal(Buffer.byteLength(s.text()), s.size);
  });

  test('splitUtf8 cuts at character boundaries within the limit', () => {
    const text = '😀€a'.repeat(1000);
    const pieces = splitUtf8(text, 1000);
    assert.equal(pieces.join(''), text);
    for (const p of pieces) {
      assert.ok(Buffer.byteLength(p) <= 1000);
      assert.doesNotMatch(p, /\uFFFD/);
    }
  });
});

describe('exec status and durations', () => {
  test('Success, NonZeroExitCode, other Failure', () => {
    assert.deepEqual(exitFromStatus(Buffer.from('{"status":"Success"}')), { exitCode: 0 });
    assert.deepEqual(
      exitFromStatus(
        Buffer.from(
          '{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}',
        ),
      ),
      { exitCode: 3 },
    );
    assert.deepEqual(exitFromStatus(Buffer.from('{"status":"Failure","message":"boom"}')), {
      exitCode: null,
      failure: 'boom',
    });
  });

  test('formatDuration', () => {
    assert.equal(formatDuration(30 * 60_000), '30 minutes');
    assert.equal(formatDuration(8 * 3_600_000), '8 hours');
    assert.equal(formatDuration(90 * 60_000), '1 hour 30 minutes');
    assert.equal(formatDuration(1000), '1 second');
  });
});
