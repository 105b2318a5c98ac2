// The logger never writes secrets, whatever shape they are logged in.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/observability/logger.js';
import { lineCollector } from '../helpers/server.js';

test('authorization, cookies, passwords, tokens and kubeconfigs are redacted', async () => {
  const lines: string[] = [];
  const stream = lineCollector(lines);
  const log = createLogger('info', stream);
  log.info(
    {
      req: { headers: { authorization: 'Bearer SECRET-1', cookie: 'butler_token=SECRET-2' } },
      res: { headers: { 'set-cookie': 'butler_token=SECRET-3' } },
      headers: { authorization: 'Basic SECRET-4' },
      password: 'SECRET-5',
      body: { password: 'SECRET-6', nested: { token: 'SECRET-7' } },
      kubeconfig: 'SECRET-8',
      auth: { jwtSecret: 'SECRET-9', adminPassword: 'SECRET-10' },
      harmless: 'visible',
    },
    'event',
  );
  await new Promise((r) => setImmediate(r));
  assert.equal(lines.length, 1);
  assert.doesNotMatch(lines[0]!, /SECRET-/);
  assert.match(lines[0]!, /"harmless":"visible"/);
  assert.match(lines[0]!, /\[redacted\]/);
});
