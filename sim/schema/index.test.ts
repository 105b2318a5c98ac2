import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkFormat,
  processCustomResource,
  strictDecodingError,
  unknownFieldWarnings,
  type SchemaCause,
} from './index.js';

const root = (spec: object, extra: object = {}) => ({
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec,
    ...extra,
  },
});
const obj = (spec: any, extra: object = {}) => ({
  apiVersion: 'example.com/v1',
  kind: 'Thing',
  metadata: { name: 'a', namespace: 'default' },
  spec,
  ...extra,
});
const run = (schema: object, o: unknown) => processCustomResource(schema, o, { strict: false });
const causesOf = (schema: object, spec: unknown): SchemaCause[] =>
  run(root({ type: 'object', ...schema }), obj(spec)).causes;
const one = (schema: object, spec: unknown): SchemaCause => {
  const causes = causesOf(schema, spec);
  assert.equal(causes.length, 1, JSON.stringify(causes));
  return causes[0]!;
};

describe('pruning', () => {
  const schema = root({
    type: 'object',
    properties: {
      name: { type: 'string' },
      items: { type: 'array', items: { type: 'object', properties: { a: { type: 'string' } } } },
      free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { n: { type: 'object' } } },
      labels: { type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'string' } } } },
      scalar: { type: 'string' },
    },
  });

  it('removes fields the schema does not specify and reports their paths, sorted', () => {
    const input = obj({ name: 'x', zz: 1, foo: { bar: 1 }, items: [{ a: 'x', b: 2 }, { c: 3 }] }, { extra: true });
    const r = run(schema, input);
    assert.deepEqual(r.unknownFields, ['extra', 'spec.foo', 'spec.items[0].b', 'spec.items[1].c', 'spec.zz']);
    assert.deepEqual(r.object.spec, { name: 'x', items: [{ a: 'x' }, {}] });
    assert.equal('extra' in r.object, false);
    assert.deepEqual(r.causes, []);
    assert.deepEqual(input.spec.foo, { bar: 1 }, 'the input is not modified');
  });

  it('keeps apiVersion, kind and metadata at the root, dropping unknown ObjectMeta fields', () => {
    const r = run(schema, {
      apiVersion: 'v',
      kind: 'K',
      metadata: { name: 'a', labels: { x: 'y' }, bogus: 1, ownerReferences: [{ name: 'o', kind: 'K', odd: 1 }] },
    });
    assert.deepEqual(r.object.metadata, { name: 'a', labels: { x: 'y' }, ownerReferences: [{ name: 'o', kind: 'K' }] });
    assert.deepEqual(r.unknownFields, ['metadata.bogus', 'metadata.ownerReferences[0].odd']);
  });

  it('keeps unknown fields under x-kubernetes-preserve-unknown-fields but still prunes specified children', () => {
    const r = run(schema, obj({ free: { anything: { deep: [1, { x: 2 }] }, n: { gone: 1 } } }));
    assert.deepEqual(r.object.spec.free, { anything: { deep: [1, { x: 2 }] }, n: {} });
    assert.deepEqual(r.unknownFields, ['spec.free.n.gone']);
  });

  it('prunes below additionalProperties schemas', () => {
    const r = run(schema, obj({ labels: { k1: { v: 'a', w: 'b' } } }));
    assert.deepEqual(r.object.spec.labels, { k1: { v: 'a' } });
    assert.deepEqual(r.unknownFields, ['spec.labels.k1.w']);
  });

  it('empties an object given where the schema has a scalar, then reports the type', () => {
    const r = run(schema, obj({ scalar: { a: 1 } }));
    assert.deepEqual(r.unknownFields, ['spec.scalar.a']);
    assert.deepEqual(r.causes, [
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.scalar',
        message: 'Invalid value: "object": spec.scalar in body must be of type string: "object"',
      },
    ]);
  });

  it('keeps apiVersion/kind/metadata of x-kubernetes-embedded-resource objects and requires apiVersion and kind', () => {
    const s = root({
      type: 'object',
      properties: {
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          properties: { data: { type: 'string' } },
        },
      },
    });
    const ok = run(
      s,
      obj({ template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', y: 1 }, data: 'd', z: 1 } }),
    );
    assert.deepEqual(ok.object.spec.template, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
      data: 'd',
    });
    assert.deepEqual(ok.unknownFields, ['spec.template.metadata.y', 'spec.template.z']);
    assert.deepEqual(ok.causes, []);
    const bad = run(s, obj({ template: { data: 'd' } }));
    assert.deepEqual(
      bad.causes.map((c) => [c.field, c.message]),
      [
        ['spec.template.apiVersion', 'Required value: must not be empty'],
        ['spec.template.kind', 'Required value: must not be empty'],
      ],
    );
  });

  it('formats the strict decoding error and warnings like a server', () => {
    assert.equal(
      strictDecodingError(['spec.a', 'spec.b[0].c']),
      'strict decoding error: unknown field "spec.a", unknown field "spec.b[0].c"',
    );
    assert.deepEqual(unknownFieldWarnings(['spec.a']), ['unknown field "spec.a"']);
    const strict = processCustomResource(schema, obj({ foo: 1 }), { strict: true });
    assert.deepEqual(strict.unknownFields, ['spec.foo']);
  });
});

describe('defaults', () => {
  const schema = root({
    type: 'object',
    properties: {
      mode: { type: 'string', default: 'Active', enum: ['Active', 'Observe'] },
      count: { type: 'integer', default: 3 },
      nested: {
        type: 'object',
        default: {},
        properties: { inner: { type: 'string', default: 'in' }, flag: { type: 'boolean' } },
      },
      opt: { type: 'object', properties: { x: { type: 'string', default: 'dx' } } },
      list: { type: 'array', items: { type: 'object', properties: { p: { type: 'integer', default: 7 } } } },
      nullable: { type: 'string', nullable: true, default: 'n' },
      plain: { type: 'string' },
    },
  });

  it('fills absent fields of existing objects, including defaults inside defaults and array items', () => {
    const r = run(schema, obj({ list: [{}, { p: 1 }] }));
    assert.deepEqual(r.object.spec, {
      mode: 'Active',
      count: 3,
      nested: { inner: 'in' },
      nullable: 'n',
      list: [{ p: 7 }, { p: 1 }],
    });
    assert.deepEqual(r.causes, []);
  });

  it('does not create a parent that is absent (opt.x) and keeps given values', () => {
    const r = run(schema, obj({ mode: 'Observe', count: 0 }));
    assert.equal('opt' in r.object.spec, false);
    assert.equal(r.object.spec.mode, 'Observe');
    assert.equal(r.object.spec.count, 0);
    assert.deepEqual(run(schema, obj({ opt: {} })).object.spec.opt, { x: 'dx' });
  });

  it('replaces null by the default of a non-nullable field, drops other non-nullable nulls, keeps nullable nulls', () => {
    const r = run(schema, obj({ mode: null, plain: null, nullable: null }));
    assert.equal(r.object.spec.mode, 'Active');
    assert.equal('plain' in r.object.spec, false);
    assert.equal(r.object.spec.nullable, null);
    assert.deepEqual(r.causes, []);
  });

  it('does not apply defaults when spec itself is absent', () => {
    const r = run(schema, { apiVersion: 'v', kind: 'K', metadata: { name: 'a' } });
    assert.equal('spec' in r.object, false);
  });
});

describe('validation', () => {
  it('required', () => {
    assert.deepEqual(one({ required: ['name'], properties: { name: { type: 'string' } } }, {}), {
      reason: 'FieldValueRequired',
      field: 'spec.name',
      message: 'Required value',
    });
    assert.deepEqual(causesOf({ required: ['name'], properties: { name: { type: 'string' } } }, { name: '' }), []);
    const nested = one(
      {
        properties: { w: { type: 'object', required: ['r'], properties: { r: { type: 'integer' } } } },
      },
      { w: {} },
    );
    assert.equal(nested.field, 'spec.w.r');
    const viaNull = one({ required: ['name'], properties: { name: { type: 'string' } } }, { name: null });
    assert.equal(viaNull.reason, 'FieldValueRequired', 'a non-nullable null counts as absent');
  });

  it('types', () => {
    const props = {
      s: { type: 'string' },
      i: { type: 'integer' },
      n: { type: 'number' },
      b: { type: 'boolean' },
      o: { type: 'object' },
      a: { type: 'array' },
    };
    const bad = causesOf({ properties: props }, { s: 1, i: 'x', n: true, b: 'true', o: [], a: {} });
    assert.deepEqual(
      bad.map((c) => [c.reason, c.field, c.message]),
      [
        [
          'FieldValueTypeInvalid',
          'spec.s',
          'Invalid value: "integer": spec.s in body must be of type string: "integer"',
        ],
        [
          'FieldValueTypeInvalid',
          'spec.i',
          'Invalid value: "string": spec.i in body must be of type integer: "string"',
        ],
        [
          'FieldValueTypeInvalid',
          'spec.n',
          'Invalid value: "boolean": spec.n in body must be of type number: "boolean"',
        ],
        [
          'FieldValueTypeInvalid',
          'spec.b',
          'Invalid value: "string": spec.b in body must be of type boolean: "string"',
        ],
        ['FieldValueTypeInvalid', 'spec.o', 'Invalid value: "array": spec.o in body must be of type object: "array"'],
        ['FieldValueTypeInvalid', 'spec.a', 'Invalid value: "object": spec.a in body must be of type array: "object"'],
      ],
    );
    assert.deepEqual(causesOf({ properties: props }, { s: 'x', i: 2, n: 2, b: false, o: {}, a: [] }), []);
    assert.equal(
      one({ properties: props }, { i: 1.5 }).message,
      'Invalid value: "number": spec.i in body must be of type integer: "number"',
    );
    assert.deepEqual(causesOf({ properties: props }, { n: 1.5 }), []);
  });

  it('nullable and nulls inside arrays', () => {
    assert.deepEqual(causesOf({ properties: { s: { type: 'string', nullable: true } } }, { s: null }), []);
    assert.deepEqual(one({ properties: { l: { type: 'array', items: { type: 'string' } } } }, { l: ['a', null] }), {
      reason: 'FieldValueTypeInvalid',
      field: 'spec.l[1]',
      message: 'Invalid value: "null": spec.l[1] in body must be of type string: "null"',
    });
  });

  it('enum', () => {
    assert.deepEqual(one({ properties: { p: { type: 'string', enum: ['harvester', 'nutanix'] } } }, { p: 'vsphere' }), {
      reason: 'FieldValueNotSupported',
      field: 'spec.p',
      message: 'Unsupported value: "vsphere": supported values: "harvester", "nutanix"',
    });
    assert.equal(
      one({ properties: { n: { type: 'integer', enum: [1, 2] } } }, { n: 3 }).message,
      'Unsupported value: 3: supported values: "1", "2"',
    );
    assert.deepEqual(causesOf({ properties: { p: { type: 'string', enum: ['a'] } } }, { p: 'a' }), []);
  });

  it('pattern', () => {
    assert.deepEqual(one({ properties: { v: { type: 'string', pattern: '^v\\d+\\.\\d+\\.\\d+$' } } }, { v: '1.30' }), {
      reason: 'FieldValueInvalid',
      field: 'spec.v',
      message: 'Invalid value: "1.30": spec.v in body should match \'^v\\d+\\.\\d+\\.\\d+$\'',
    });
    assert.deepEqual(
      causesOf({ properties: { v: { type: 'string', pattern: '^v\\d+\\.\\d+\\.\\d+$' } } }, { v: 'v1.30.2' }),
      [],
    );
  });

  it('minimum, maximum and exclusive bounds', () => {
    const s = { properties: { r: { type: 'integer', minimum: 1, maximum: 3 } } };
    assert.deepEqual(one(s, { r: 0 }), {
      reason: 'FieldValueInvalid',
      field: 'spec.r',
      message: 'Invalid value: 0: spec.r in body should be greater than or equal to 1',
    });
    assert.equal(one(s, { r: 4 }).message, 'Invalid value: 4: spec.r in body should be less than or equal to 3');
    assert.deepEqual(causesOf(s, { r: 1 }), []);
    assert.deepEqual(causesOf(s, { r: 3 }), []);
    const ex = {
      properties: { r: { type: 'number', minimum: 1, maximum: 3, exclusiveMinimum: true, exclusiveMaximum: true } },
    };
    assert.equal(one(ex, { r: 1 }).message, 'Invalid value: 1: spec.r in body should be greater than 1');
    assert.equal(one(ex, { r: 3 }).message, 'Invalid value: 3: spec.r in body should be less than 3');
    assert.deepEqual(causesOf(ex, { r: 2.5 }), []);
  });

  it('minLength and maxLength (counted in characters)', () => {
    const s = { properties: { n: { type: 'string', minLength: 1, maxLength: 3 } } };
    assert.deepEqual(one(s, { n: '' }), {
      reason: 'FieldValueInvalid',
      field: 'spec.n',
      message: 'Invalid value: "": spec.n in body should be at least 1 chars long',
    });
    assert.deepEqual(one(s, { n: 'abcd' }), {
      reason: 'FieldValueTooLong',
      field: 'spec.n',
      message: 'Too long: may not be longer than 3',
    });
    assert.deepEqual(causesOf(s, { n: 'äöü' }), []);
  });

  it('minItems and maxItems', () => {
    const s = { properties: { l: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 } } };
    assert.deepEqual(one(s, { l: [] }), {
      reason: 'FieldValueInvalid',
      field: 'spec.l',
      message: 'Invalid value: 0: spec.l in body should have at least 1 items',
    });
    assert.deepEqual(one(s, { l: ['a', 'b', 'c'] }), {
      reason: 'FieldValueTooMany',
      field: 'spec.l',
      message: 'Too many: 3: must have at most 2 items',
    });
    assert.deepEqual(causesOf(s, { l: ['a'] }), []);
  });

  it('minProperties and maxProperties', () => {
    const s = {
      properties: {
        m: { type: 'object', additionalProperties: { type: 'string' }, minProperties: 1, maxProperties: 2 },
      },
    };
    assert.equal(one(s, { m: {} }).message, 'Invalid value: 0: spec.m in body should have at least 1 properties');
    const tooMany = one(s, { m: { a: '1', b: '2', c: '3' } });
    assert.equal(tooMany.reason, 'FieldValueTooMany');
    assert.deepEqual(causesOf(s, { m: { a: '1' } }), []);
  });

  it('additionalProperties schemas validate every value', () => {
    const s = { properties: { m: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } } } };
    assert.deepEqual(
      causesOf(s, { m: { a: 1, b: -1, c: 'x' } }).map((c) => c.field),
      ['spec.m.b', 'spec.m.c'],
    );
  });

  it('formats the server checks, and not the others', () => {
    const s = (format: string) => ({ properties: { f: { type: 'string', format } } });
    assert.deepEqual(one(s('date-time'), { f: 'yesterday' }), {
      reason: 'FieldValueTypeInvalid',
      field: 'spec.f',
      message: 'Invalid value: "yesterday": spec.f in body must be of type date-time: "yesterday"',
    });
    assert.deepEqual(causesOf(s('date-time'), { f: '2024-05-01T10:00:00Z' }), []);
    assert.deepEqual(causesOf(s('date-time'), { f: '2024-05-01T10:00:00.123+02:00' }), []);
    assert.equal(causesOf(s('date-time'), { f: '2024-02-30T10:00:00Z' }).length, 1);
    assert.equal(causesOf(s('uuid'), { f: 'not-a-uuid' }).length, 1);
    assert.deepEqual(causesOf(s('uuid'), { f: '0005a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b' }), []);
    assert.equal(causesOf(s('ipv4'), { f: '300.1.1.1' }).length, 1);
    assert.deepEqual(causesOf(s('ipv4'), { f: '10.0.0.1' }), []);
    assert.equal(causesOf(s('ipv6'), { f: '10.0.0.1' }).length, 1);
    assert.deepEqual(causesOf(s('ipv6'), { f: 'fd00::1' }), []);
    assert.equal(causesOf(s('email'), { f: 'nobody' }).length, 1);
    assert.deepEqual(causesOf(s('email'), { f: 'a@example.com' }), []);
    assert.equal(causesOf(s('byte'), { f: 'not base64!' }).length, 1);
    assert.deepEqual(causesOf(s('byte'), { f: 'aGVsbG8=' }), []);
    assert.equal(causesOf(s('hostname'), { f: 'bad_host name' }).length, 1);
    assert.deepEqual(causesOf(s('hostname'), { f: 'api.example.com' }), []);
    assert.deepEqual(causesOf(s('my-own-format'), { f: 'anything' }), []);
    assert.equal(checkFormat('int32', '5'), undefined);
    // int32/int64 on integers are not range-checked by kube-apiserver either.
    assert.deepEqual(causesOf({ properties: { n: { type: 'integer', format: 'int32' } } }, { n: 2 ** 40 }), []);
  });

  it('x-kubernetes-int-or-string', () => {
    const s = {
      properties: {
        q: {
          'x-kubernetes-int-or-string': true,
          anyOf: [{ type: 'integer' }, { type: 'string' }],
          pattern: '^[0-9]+(Gi|Mi)?$',
        },
      },
    };
    assert.deepEqual(causesOf(s, { q: 5 }), []);
    assert.deepEqual(causesOf(s, { q: '50Gi' }), []);
    assert.deepEqual(one(s, { q: true }), {
      reason: 'FieldValueTypeInvalid',
      field: 'spec.q',
      message: 'Invalid value: "boolean": spec.q in body must be of type integer,string: "boolean"',
    });
    assert.equal(one(s, { q: 'lots' }).reason, 'FieldValueInvalid');
  });

  it('allOf, anyOf, oneOf, not', () => {
    const allOf = { properties: { p: { type: 'string', allOf: [{ enum: ['a', 'b'] }, { enum: ['a', 'b'] }] } } };
    assert.deepEqual(causesOf(allOf, { p: 'a' }), []);
    assert.ok(causesOf(allOf, { p: 'c' }).some((c) => c.reason === 'FieldValueNotSupported' && c.field === 'spec.p'));
    const anyOf = { properties: { p: { type: 'integer', anyOf: [{ minimum: 10 }, { maximum: 1 }] } } };
    assert.deepEqual(causesOf(anyOf, { p: 0 }), []);
    assert.ok(causesOf(anyOf, { p: 5 }).some((c) => c.message.includes('must validate at least one schema (anyOf)')));
    const oneOf = { properties: { p: { type: 'integer', oneOf: [{ minimum: 1 }, { minimum: 5 }] } } };
    assert.deepEqual(causesOf(oneOf, { p: 2 }), []);
    assert.ok(
      causesOf(oneOf, { p: 6 }).some((c) => c.message.includes('must validate one and only one schema (oneOf)')),
    );
    const not = { properties: { p: { type: 'string', not: { enum: ['root'] } } } };
    assert.deepEqual(causesOf(not, { p: 'x' }), []);
    assert.ok(causesOf(not, { p: 'root' }).some((c) => c.message.includes('must not validate the schema (not)')));
  });

  it('x-kubernetes-list-type map and set reject duplicates', () => {
    const s = {
      properties: {
        conds: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['type'],
          items: {
            type: 'object',
            required: ['type'],
            properties: { type: { type: 'string' }, status: { type: 'string' } },
          },
        },
        tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
      },
    };
    assert.deepEqual(causesOf(s, { conds: [{ type: 'A' }, { type: 'B' }], tags: ['x', 'y'] }), []);
    assert.deepEqual(
      causesOf(s, {
        conds: [
          { type: 'A', status: 'x' },
          { type: 'A', status: 'y' },
        ],
        tags: ['x', 'x'],
      }),
      [
        {
          reason: 'FieldValueDuplicate',
          field: 'spec.conds[1]',
          message: 'Duplicate value: map[string]interface {}{"type":"A"}',
        },
        { reason: 'FieldValueDuplicate', field: 'spec.tags[1]', message: 'Duplicate value: "x"' },
      ],
    );
  });

  it('reports every failing field at once, with array indices in paths', () => {
    const s = {
      required: ['workers'],
      properties: {
        workers: { type: 'object', properties: { replicas: { type: 'integer', minimum: 1 } } },
        items: {
          type: 'array',
          items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
        },
        mode: { type: 'string', enum: ['a'] },
      },
    };
    const causes = causesOf(s, { items: [{ name: 'ok' }, {}], mode: 'b' });
    assert.deepEqual(causes.map((c) => `${c.reason} ${c.field}`).sort(), [
      'FieldValueNotSupported spec.mode',
      'FieldValueRequired spec.items[1].name',
      'FieldValueRequired spec.workers',
    ]);
  });

  it('does not validate metadata against the CRD schema', () => {
    const r = run(root({ type: 'object' }), {
      apiVersion: 'v',
      kind: 'K',
      metadata: { name: 'a', labels: { a: 'b' } },
    });
    assert.deepEqual(r.causes, []);
  });
});

describe('defaults that carry unknown fields', () => {
  it('are pruned silently', () => {
    const schema = root({
      type: 'object',
      properties: { o: { type: 'object', default: { a: 'x', junk: 1 }, properties: { a: { type: 'string' } } } },
    });
    const r = run(schema, obj({}));
    assert.deepEqual(r.object.spec.o, { a: 'x' });
    assert.deepEqual(r.unknownFields, []);
  });
});
