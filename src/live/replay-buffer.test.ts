import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplayBuffer } from './replay-buffer.js';

const frame = (s: string) => Buffer.from(s);
const texts = (b: ReturnType<ReplayBuffer['since']>) => b?.map((e) => `${e.key}:${e.frame.toString()}`);

test('replays the events after a position inside the window', () => {
  const b = new ReplayBuffer(3);
  b.reset('10');
  b.push('11', 'a', frame('1'));
  b.push('12', 'b', frame('2'));
  assert.deepEqual(texts(b.since('10', '12')), ['a:1', 'b:2']);
  assert.deepEqual(texts(b.since('11', '12')), ['b:2']);
  assert.deepEqual(texts(b.since('12', '12')), []);
  // A position between events (a bookmark) is fine too.
  assert.deepEqual(texts(b.since('12', '15')), []);
});

test('evicts the oldest events and refuses positions before the window', () => {
  const b = new ReplayBuffer(2);
  b.reset('10');
  b.push('11', 'a', frame('1'));
  b.push('12', 'b', frame('2'));
  b.push('13', 'c', frame('3'));
  assert.equal(b.size, 2);
  assert.equal(b.since('10', '13'), undefined);
  assert.deepEqual(texts(b.since('11', '13')), ['b:2', 'c:3']);
});

test('refuses malformed, future and pre-reset positions', () => {
  const b = new ReplayBuffer(4);
  b.reset('100');
  b.push('101', 'a', frame('1'));
  assert.equal(b.since('abc', '101'), undefined);
  assert.equal(b.since('', '101'), undefined);
  assert.equal(b.since('-1', '101'), undefined);
  assert.equal(b.since('102', '101'), undefined);
  assert.equal(b.since('99', '101'), undefined);
  b.reset('200');
  assert.equal(b.since('101', '200'), undefined);
  assert.deepEqual(texts(b.since('200', '200')), []);
});

test('an event without a numeric resourceVersion disables resuming until the next reset', () => {
  const b = new ReplayBuffer(4);
  b.reset('1');
  b.push('x', 'a', frame('1'));
  assert.equal(b.since('1', '1'), undefined);
  b.reset('5');
  assert.deepEqual(texts(b.since('5', '5')), []);
});

test('bounded in bytes too: the oldest events go first, a frame larger than the bound is not kept', () => {
  const b = new ReplayBuffer(100, 10);
  b.reset('10');
  b.push('11', 'a', frame('aaaa'));
  b.push('12', 'b', frame('bbbb'));
  assert.equal(b.bytes, 8);
  b.push('13', 'c', frame('cccc'));
  assert.equal(b.size, 2);
  assert.equal(b.bytes, 8);
  assert.equal(b.since('10', '13'), undefined, 'the evicted event cannot be resumed across');
  assert.deepEqual(texts(b.since('11', '13')), ['b:bbbb', 'c:cccc']);
  b.push('14', 'd', frame('x'.repeat(11)));
  assert.equal(b.size, 0);
  assert.equal(b.bytes, 0);
  assert.equal(b.since('13', '14'), undefined, 'the oversized event itself is not kept');
  assert.deepEqual(texts(b.since('14', '14')), []);
  b.push('15', 'e', frame('e'));
  assert.deepEqual(texts(b.since('14', '15')), ['e:e']);
});
