import assert from 'node:assert/strict';
import { it } from 'node:test';
import { safeReturnTo } from './return-to.js';

it('return_to keeps same-origin paths only', () => {
  assert.equal(safeReturnTo('/t/team-a/clusters?x=1#y'), '/t/team-a/clusters?x=1#y');
  for (const bad of [
    'https://evil.example/',
    '//evil.example/x',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    '/\t/evil.example',
    'evil.example',
    '',
    undefined,
    42,
    `/${'a'.repeat(3000)}`,
  ]) {
    assert.equal(safeReturnTo(bad), '/', String(bad));
  }
  assert.equal(safeReturnTo('/a/../..//evil.example'), '/');
});
