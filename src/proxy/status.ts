// Errors the proxy produces itself (no session, unknown cluster, body too large, upstream unreachable, …) are answered
// as Kubernetes `Status` objects, so kubectl and client libraries print them as they would an API server's own
// ("Error from server (NotFound): …"). The rest of the API keeps `{"error": …}`.
import type { FastifyInstance } from 'fastify';
import { toHttpError } from '../http/error-handler.js';
import { HttpError } from '../http/errors.js';

/** metav1.StatusReason for the statuses the proxy produces. */
const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  414: 'RequestURITooLong',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  502: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  code: number;
  details?: { causes: { field: string; message: string; reason?: string }[] };
}

export function kubeStatus(err: HttpError): KubeStatus {
  const causes = err.details?.causes ?? err.details?.errors?.map((e) => ({ field: e.field, message: e.message }));
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: err.message,
    reason: REASONS[err.status] ?? (err.status >= 500 ? 'InternalError' : 'BadRequest'),
    code: err.status,
    ...(causes && causes.length > 0 ? { details: { causes } } : {}),
  };
}

/** The proxy scope's error handler: the same decisions as the server-wide one, in the Status shape. */
export function installStatusErrorHandler(app: FastifyInstance, maxBodyBytes: number): void {
  app.setErrorHandler((err, request, reply) => {
    let httpError = toHttpError(err, maxBodyBytes);
    if (httpError) {
      if (httpError.status >= 500) request.log.warn({ err: httpError.cause ?? httpError }, httpError.message);
    } else {
      request.log.error({ err }, 'internal server error');
      httpError = new HttpError(500, 'internal server error');
    }
    if (httpError.headers) reply.headers(httpError.headers);
    return reply.code(httpError.status).type('application/json; charset=utf-8').send(kubeStatus(httpError));
  });
}
