// Body parsing rules of docs/api.md §1: JSON objects only; an empty body means "no body" on every method;
// a non-empty body of another content type is 415; bodies of GET, HEAD and DELETE are ignored.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError, badRequest } from './errors.js';

const METHODS_WITHOUT_BODY = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

export const unsupportedMediaType = () => new HttpError(415, 'Content-Type must be application/json');

export function installBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseJsonBody(request, body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    const empty = (body as Buffer).length === 0;
    if (empty || METHODS_WITHOUT_BODY.has(request.method)) done(null, undefined);
    else done(unsupportedMediaType(), undefined);
  });
}

function parseJsonBody(request: FastifyRequest, body: Buffer): unknown {
  if (METHODS_WITHOUT_BODY.has(request.method)) return undefined;
  const text = body.toString('utf8');
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text, dropProtoKeys);
  } catch {
    throw badRequest('invalid JSON body');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest('request body must be a JSON object');
  }
  return value;
}

/** `__proto__` keys are dropped so a parsed body can never reach an object's prototype when merged. */
function dropProtoKeys(key: string, value: unknown): unknown {
  return key === '__proto__' ? undefined : value;
}
