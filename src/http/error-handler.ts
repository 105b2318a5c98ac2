// The one error handler: every error becomes `{"error": ...}` with the right status; only server faults are logged.

import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { HttpError, invalidFields, type FieldError } from './errors.js';
import { formatBytes } from './sizes.js';
import { unsupportedMediaType } from './body.js';
import { isKubeApiError, toHttpError as kubeToHttpError } from '../kube/errors.js';

export function installErrorHandler(app: FastifyInstance, maxBodyBytes: number): void {
  app.setErrorHandler((err: FastifyError | HttpError | Error, request, reply) => {
    const httpError = toHttpError(err, maxBodyBytes);
    if (httpError) {
      // Upstream failures (502/503/504) are logged with their cause, which never reaches the client.
      if (httpError.status >= 500) request.log.warn({ err: httpError.cause ?? httpError }, httpError.message);
      return sendHttpError(reply, httpError);
    }
    request.log.error({ err }, 'internal server error');
    return sendHttpError(reply, new HttpError(500, 'internal server error'));
  });
}

export function sendHttpError(reply: FastifyReply, err: HttpError): FastifyReply {
  if (err.headers) reply.headers(err.headers);
  return reply.code(err.status).type('application/json; charset=utf-8').send(err.toJSON());
}

/** Known client-side failures as HttpError; undefined for anything that is a server fault. */
export function toHttpError(err: unknown, maxBodyBytes: number): HttpError | undefined {
  if (err instanceof HttpError) return err;
  // A Kubernetes failure a route did not map itself: unreachable or slow upstream is still 502/504, not 500.
  if (isKubeApiError(err) && (err.kind === 'unavailable' || err.kind === 'timeout')) {
    return kubeToHttpError(err, { kind: 'resource' });
  }
  const e = err as Partial<FastifyError> & { validation?: ValidationIssue[]; validationContext?: string };
  if (Array.isArray(e.validation)) return validationError(e.validation, e.validationContext);
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(413, `request body too large (limit ${formatBytes(maxBodyBytes)})`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupportedMediaType();
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new HttpError(400, 'invalid JSON body');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HttpError(400, 'invalid Content-Length');
  }
  // Errors of Fastify and its plugins that carry a 4xx status (e.g. rate limits) keep it; their message is meant for clients.
  const status = e.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && typeof e.message === 'string') {
    return new HttpError(status, e.message);
  }
  return undefined;
}

interface ValidationIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function validationError(issues: ValidationIssue[], context: string | undefined): HttpError {
  const errors: FieldError[] = issues.map((issue) => {
    const path = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    const missing = typeof issue.params?.missingProperty === 'string' ? issue.params.missingProperty : undefined;
    const extra = typeof issue.params?.additionalProperty === 'string' ? issue.params.additionalProperty : undefined;
    const name = missing ?? extra;
    const field = [path, name].filter(Boolean).join('.') || context || 'body';
    let message = issue.message ?? 'is invalid';
    if (missing) message = 'is required';
    else if (extra) message = 'is not allowed';
    return { field, message };
  });
  return invalidFields(errors);
}
