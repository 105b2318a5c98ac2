// The one place where Kubernetes outcomes become HTTP answers (docs/api.md §1, "Kubernetes errors").
import { HttpError } from '../http/errors.js';

export interface KubeStatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** The parts of a Kubernetes `Status` object butler-server reads. */
export interface KubeStatus {
  reason?: string;
  message?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: KubeStatusCause[]; retryAfterSeconds?: number };
}

export type KubeErrorKind = 'status' | 'unavailable' | 'timeout' | 'aborted';

/** A failed Kubernetes API call: an answer with a non-2xx status, or no usable answer at all. */
export class KubeApiError extends Error {
  constructor(
    readonly kind: KubeErrorKind,
    message: string,
    readonly opts: {
      statusCode?: number;
      status?: KubeStatus;
      retryAfterSeconds?: number;
      /** 'management' or 'tenant <ns>/<name>'. */
      clientName?: string;
      method?: string;
      path?: string;
      /** The user the failed request impersonated (Impersonate-User), if any. */
      impersonating?: string;
      cause?: unknown;
    } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'KubeApiError';
  }

  get statusCode(): number | undefined {
    return this.opts.statusCode;
  }
  get status(): KubeStatus | undefined {
    return this.opts.status;
  }
  get reason(): string | undefined {
    return this.opts.status?.reason;
  }
  get retryAfterSeconds(): number | undefined {
    return this.opts.retryAfterSeconds;
  }
}

export const isKubeApiError = (err: unknown): err is KubeApiError => err instanceof KubeApiError;

/** True when the error is a Kubernetes answer with this HTTP status code. */
export function isKubeStatus(err: unknown, code: number): boolean {
  return err instanceof KubeApiError && err.kind === 'status' && err.statusCode === code;
}

export interface KubeErrorContext {
  /** Kind for messages, e.g. "TenantCluster". */
  kind: string;
  namespace?: string;
  name?: string;
  /** Verb and resource for the 403 message, e.g. "list", "tenantclusters". */
  verb?: string;
  resource?: string;
  api?: 'management' | 'tenant';
}

function objectRef(ctx: KubeErrorContext): string {
  if (ctx.name === undefined) return ctx.namespace ? `in namespace "${ctx.namespace}"` : '';
  return ctx.namespace ? `"${ctx.namespace}/${ctx.name}"` : `"${ctx.name}"`;
}

function subject(ctx: KubeErrorContext): string {
  const ref = objectRef(ctx);
  return ref ? `${ctx.kind} ${ref}` : ctx.kind;
}

function firstCause(status: KubeStatus | undefined): string {
  const cause = status?.details?.causes?.find((c) => c.message);
  if (cause?.message) return cause.field ? `${cause.field}: ${cause.message}` : cause.message;
  const message = status?.message ?? '';
  // "X "n" is invalid: spec.a: Invalid value..." → the part after the object name; strict decoding errors likewise.
  const invalid = /\bis invalid: (.+)$/s.exec(message);
  if (invalid) return invalid[1]!.trim();
  const strict = /(strict decoding error: .+)$/s.exec(message);
  if (strict) return strict[1]!.trim();
  return message || 'invalid request';
}

function causes(status: KubeStatus | undefined): { field: string; message: string; reason?: string }[] | undefined {
  const list = status?.details?.causes;
  if (!list || list.length === 0) return undefined;
  return list.map((c) => ({
    field: c.field ?? '',
    message: c.message ?? '',
    ...(c.reason ? { reason: c.reason } : {}),
  }));
}

/**
 * A write refused by one of the management cluster's admission webhooks: 403 with the webhook's message and the field
 * it names, so that a console can show the message next to that field.
 */
export class WebhookDeniedError extends HttpError {
  constructor(
    readonly webhookMessage: string,
    readonly field: string,
  ) {
    super(403, 'webhook denied');
    this.name = 'WebhookDeniedError';
  }

  override toJSON(): { error: string; reason: string; message: string; field: string } {
    return { error: this.message, reason: 'webhook-denied', message: this.webhookMessage, field: this.field };
  }
}

const WEBHOOK_DENIAL = /\badmission webhook "[^"]*" denied the request(?:: |\b)/;
/** A field path at the start of a field error message (`spec.resourceLimits: Forbidden: …`). */
const LEADING_FIELD = /^([A-Za-z_$][\w$-]*(?:\[[^\]]*\])*(?:\.[A-Za-z_$][\w$-]*(?:\[[^\]]*\])*)*): /;

/** The webhook denial in a 403 Status, with the field it names (a cause's field, else a leading field path). */
function webhookDenial(status: KubeStatus | undefined): WebhookDeniedError | undefined {
  const message = status?.message ?? '';
  const m = WEBHOOK_DENIAL.exec(message);
  if (!m) return undefined;
  const causeField = status?.details?.causes?.find((c) => c.field)?.field;
  const rest = message.slice(m.index + m[0].length);
  return new WebhookDeniedError(message, causeField ?? LEADING_FIELD.exec(rest)?.[1] ?? '');
}

/** A refusal of the impersonation itself: the ServiceAccount lacks the verb `impersonate` (a deployment problem). */
function impersonationRefused(status: KubeStatus | undefined): string | undefined {
  const m = /cannot impersonate resource "([^"]+)"/.exec(status?.message ?? '');
  return m?.[1];
}

function withCause(e: HttpError, cause: unknown): HttpError {
  Object.defineProperty(e, 'cause', { value: cause, enumerable: false, configurable: true, writable: true });
  return e;
}

/**
 * Maps any error of a Kubernetes call to the answer of docs/api.md §1. HttpErrors pass through unchanged; anything
 * that is not a Kubernetes failure becomes a 500. The original error is kept as `cause` (for the log only).
 */
export function toHttpError(err: unknown, ctx: KubeErrorContext): HttpError {
  if (err instanceof HttpError) return err;
  if (!(err instanceof KubeApiError)) return withCause(new HttpError(500, 'internal server error'), err);
  const api = ctx.api ?? (err.opts.clientName?.startsWith('tenant') ? 'tenant' : 'management');
  const apiName = api === 'tenant' ? 'tenant cluster API' : 'kubernetes API';
  const unavailable = () => withCause(new HttpError(502, `${apiName} unavailable`), err);
  const timedOut = () => withCause(new HttpError(504, `${apiName} timed out`), err);

  switch (err.kind) {
    case 'timeout':
      return timedOut();
    case 'unavailable':
      return unavailable();
    case 'aborted':
      return withCause(new HttpError(503, 'request aborted'), err);
    case 'status':
      break;
  }

  const status = err.status;
  const code = err.statusCode ?? 0;
  switch (code) {
    case 404:
      return withCause(new HttpError(404, `${subject(ctx)} not found`), err);
    case 409:
      if (status?.reason === 'AlreadyExists') {
        return withCause(new HttpError(409, `${subject(ctx)} already exists`), err);
      }
      return withCause(new HttpError(409, `${subject(ctx)} was changed concurrently; try again`), err);
    case 400:
    case 422: {
      const c = causes(status);
      const details = { ...(status?.reason ? { reason: status.reason } : {}), ...(c ? { causes: c } : {}) };
      return withCause(
        new HttpError(
          400,
          `${subject(ctx)} was rejected: ${firstCause(status)}`,
          Object.keys(details).length ? details : undefined,
        ),
        err,
      );
    }
    case 403: {
      const denied = webhookDenial(status);
      if (denied) return withCause(denied, err);
      const impersonated = impersonationRefused(status);
      if (impersonated) {
        return withCause(new HttpError(403, `butler-server is not allowed to impersonate ${impersonated}`), err);
      }
      const verb = ctx.verb ?? 'access';
      const resource = ctx.resource ?? ctx.kind.toLowerCase();
      const where =
        api === 'tenant'
          ? ' in the tenant cluster'
          : ctx.namespace
            ? ` in namespace ${ctx.namespace}`
            : ' at cluster scope';
      // An impersonated request was refused by the management cluster's RBAC for that user.
      const who = err.opts.impersonating ?? 'butler-server';
      return withCause(new HttpError(403, `${who} is not allowed to ${verb} ${resource}${where}`), err);
    }
    case 401:
      return withCause(new HttpError(502, `${apiName} rejected butler-server's credentials`), err);
    case 429: {
      const retry = err.retryAfterSeconds ?? status?.details?.retryAfterSeconds;
      const headers = retry !== undefined ? { 'retry-after': String(Math.max(1, Math.ceil(retry))) } : undefined;
      return withCause(new HttpError(503, `${apiName} is throttling requests`, undefined, headers), err);
    }
    case 504:
      return timedOut();
    default:
      return unavailable();
  }
}
