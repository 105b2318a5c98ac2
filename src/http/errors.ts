// Typed errors: every non-2xx answer of the API is one of these, turned into `{"error": ...}` by the one error handler.

export interface FieldError {
  field: string;
  message: string;
}

export interface ErrorDetails {
  field?: string;
  errors?: FieldError[];
  reason?: string;
  causes?: { field: string; message: string; reason?: string }[];
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: ErrorDetails,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  toJSON(): { error: string; details?: ErrorDetails } {
    return this.details ? { error: this.message, details: this.details } : { error: this.message };
  }
}

export const badRequest = (message: string, details?: ErrorDetails) => new HttpError(400, message, details);
export const unauthorized = (message = 'unauthorized') => new HttpError(401, message);
export const forbidden = (message: string) => new HttpError(403, message);
export const notFound = (message: string) => new HttpError(404, message);
export const conflict = (message: string) => new HttpError(409, message);
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new HttpError(429, message, undefined, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
export const badGateway = (message: string) => new HttpError(502, message);
export const serviceUnavailable = (message: string, headers?: Record<string, string>) =>
  new HttpError(503, message, undefined, headers);
export const gatewayTimeout = (message: string) => new HttpError(504, message);

/** A validation failure of one or more input fields: 400 `<field>: <problem>` naming the first, all in details.errors. */
export function invalidFields(errors: FieldError[]): HttpError {
  const first = errors[0] ?? { field: 'body', message: 'is invalid' };
  return new HttpError(400, `${first.field}: ${first.message}`, { field: first.field, errors });
}
