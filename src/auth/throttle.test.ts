import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLoginThrottle } from './throttle.js';

test('five failures per (user, address) lock that pair until the window has passed', () => {
  let now = 1_000_000;
  const t = createLoginThrottle({ maxFailures: 5, failureWindowMs: 15 * 60_000, ratePerMinute: 1000, now: () => now });
  for (let i = 0; i < 5; i++) {
    assert.equal(t.check('admin', '10.0.0.1'), 0);
    t.recordFailure('admin', '10.0.0.1');
    now += 1000;
  }
  const wait = t.check('admin', '10.0.0.1');
  assert.ok(wait > 0 && wait <= 15 * 60, `wait ${wait}`);
  // Another address, and another name from the same address, are not locked out.
  assert.equal(t.check('admin', '10.0.0.2'), 0);
  assert.equal(t.check('other', '10.0.0.1'), 0);
  now += 15 * 60_000;
  assert.equal(t.check('admin', '10.0.0.1'), 0);
});

test('a success resets the failure count', () => {
  const t = createLoginThrottle({ maxFailures: 2, failureWindowMs: 60_000, ratePerMinute: 1000 });
  t.recordFailure('admin', 'a');
  t.recordSuccess('admin', 'a');
  t.recordFailure('admin', 'a');
  assert.equal(t.check('admin', 'a'), 0);
  t.recordFailure('admin', 'a');
  assert.ok(t.check('admin', 'a') > 0);
});

test('attempts per address are rate limited per minute', () => {
  let now = 0;
  const t = createLoginThrottle({ maxFailures: 100, failureWindowMs: 60_000, ratePerMinute: 3, now: () => now });
  for (let i = 0; i < 3; i++) assert.equal(t.check(`u${i}`, 'a'), 0);
  assert.ok(t.check('u9', 'a') > 0);
  assert.equal(t.check('u9', 'b'), 0);
  now += 60_001;
  assert.equal(t.check('u9', 'a'), 0);
});
