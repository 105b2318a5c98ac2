import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { serializerCompiler } from './serializer.js';

const schema = Type.Object({
  name: Type.String(),
  count: Type.Integer(),
  open: Type.Object({}, { additionalProperties: true }),
});
const compile = () => serializerCompiler({ schema, method: 'GET', url: '/x', httpStatus: '200' });

test('a response schema serialises what it describes; open objects keep every field', () => {
  const text = compile()({ name: 'a', count: 2, open: { any: { deep: [1] } } });
  assert.deepEqual(JSON.parse(text), { name: 'a', count: 2, open: { any: { deep: [1] } } });
});

test('with the check on, a schema that would drop or coerce a field fails instead of trimming the answer', () => {
  const before = process.env.BUTLER_CHECK_RESPONSE_SCHEMAS;
  process.env.BUTLER_CHECK_RESPONSE_SCHEMAS = '1';
  try {
    const serialize = compile();
    assert.throws(() => serialize({ name: 'a', count: 2, open: {}, extra: true }), /GET \/x 200 .*\$\.extra/);
    assert.throws(() => serialize({ name: 'a', count: 2.5, open: {} }), /\$\.count: 2\.5 became 2/);
    assert.throws(() => serialize({ name: null, count: 1, open: {} }), /\$\.name: null became ""/);
  } finally {
    if (before === undefined) delete process.env.BUTLER_CHECK_RESPONSE_SCHEMAS;
    else process.env.BUTLER_CHECK_RESPONSE_SCHEMAS = before;
  }
});
