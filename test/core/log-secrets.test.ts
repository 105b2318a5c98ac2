// The log check every test server runs when it closes (test/helpers/server.ts) really finds leaks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertNoSecretsLogged } from '../helpers/server.js';

const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJ1c2VybmFtZSI6ImFkbWluIiwic3ViIjoiYWRtaW4ifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbi1oZXJl';

test('clean lines pass', () => {
  assertNoSecretsLogged(['{"msg":"request completed","status":200}', '{"cookie":"[Redacted]"}'], ['s3cret-password']);
});

test('a configured secret, a JWT or a cookie value is found, and the error does not repeat it', () => {
  const cases: [string, RegExp][] = [
    ['{"msg":"login","password":"s3cret-password"}', /a configured secret/],
    [`{"headers":{"authorization":"Bearer ${jwt}"}}`, /a JWT/],
    ['{"req":{"headers":{"cookie":"butler_token=abc"}}}', /a session cookie value/],
  ];
  for (const [line, kind] of cases) {
    assert.throws(
      () => assertNoSecretsLogged(['{"msg":"ok"}', line], ['s3cret-password']),
      (err: Error) => kind.test(err.message) && err.message.includes('line 2 of 2') && !err.message.includes('s3cret'),
    );
  }
});

test('short values are not treated as secrets (no false alarms on common words)', () => {
  assertNoSecretsLogged(['{"msg":"admin logged in"}'], ['admin']);
});
