// The app's serializer compiler (set once in src/app.ts): a route's response schema for a status serialises the
// answer with fast-json-stringify, as Fastify does by default, but each schema is compiled once per process (tests
// and the demo build many apps from the same schemas). Answers sent as prebuilt JSON text bypass it.
//
// BUTLER_CHECK_RESPONSE_SCHEMAS=1 (set by the test runner) additionally compares every serialised answer with plain
// JSON.stringify and fails the request (500, logged) when the schema dropped, renamed or coerced anything: a response
// schema must describe the answer, never trim it.
import { isDeepStrictEqual } from 'node:util';
import fastJson from 'fast-json-stringify';
import type { FastifySerializerCompiler } from 'fastify';

type Serialize = (data: unknown) => string;

const compiled = new Map<string, Serialize>();

export const checkResponseSchemas = () => process.env.BUTLER_CHECK_RESPONSE_SCHEMAS === '1';

export const serializerCompiler: FastifySerializerCompiler<unknown> = ({ schema, method, url, httpStatus }) => {
  const key = JSON.stringify(schema);
  let serialize = compiled.get(key);
  if (!serialize) {
    serialize = fastJson(schema as Parameters<typeof fastJson>[0]) as Serialize;
    compiled.set(key, serialize);
  }
  return checkResponseSchemas() ? checked(serialize, `${method} ${url} ${httpStatus}`) : serialize;
};

function checked(serialize: Serialize, route: string): Serialize {
  return (data) => {
    const text = serialize(data);
    const plain = JSON.stringify(data);
    if (plain !== undefined && !isDeepStrictEqual(JSON.parse(text), JSON.parse(plain)))
      throw new Error(
        `response schema of ${route} changes the answer: ${difference(JSON.parse(plain), JSON.parse(text))}`,
      );
    return text;
  };
}

/** The first place where `sent` differs from `meant`, as a JSON path. */
function difference(meant: unknown, sent: unknown, path = '$'): string {
  if (typeof meant !== 'object' || meant === null || typeof sent !== 'object' || sent === null)
    return `${path}: ${JSON.stringify(meant)?.slice(0, 80)} became ${JSON.stringify(sent)?.slice(0, 80)}`;
  const a = meant as Record<string, unknown>;
  const b = sent as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)]))
    if (!isDeepStrictEqual(a[key], b[key])) return difference(a[key], b[key], `${path}.${key}`);
  return path;
}
