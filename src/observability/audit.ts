// The audit trail: one JSON line per state-changing API call, login, logout and terminal session, marked
// `"audit":true` (time, user, client address, action, target, result, request id; never bodies or secrets).
// Lines go with the logs to stdout, or, with BUTLER_AUDIT_LOG_FILE, to that file instead.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import pino from 'pino';
import { Writable } from 'node:stream';
import { clientAddress } from '../auth/address.js';
import type { Config } from '../config/types.js';
import type { AuditStore } from './audit-store.js';
import { createLogger, formattedStream } from './logger.js';

const AUDIT_MARK = '"audit":true';
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Routes that write their own, richer audit lines (sessions; the proxy's method, cluster and path). */
const SELF_AUDITED = /^\/api\/(auth|proxy)\//;

/** Audit actions of the REST routes (method + route template); other state-changing routes get `<METHOD> <route>`. */
export const AUDIT_ACTIONS: Record<string, string> = {
  'POST /api/clusters': 'cluster.create',
  'DELETE /api/clusters/:ns/:name': 'cluster.delete',
  'PATCH /api/clusters/:ns/:name/scale': 'cluster.scale',
  'PUT /api/clusters/:ns/:name': 'cluster.update',
  'POST /api/clusters/:ns/:name/certificates/rotate': 'cluster.certificates.rotate',
  'POST /api/clusters/:ns/:name/addons': 'addon.install',
  'PUT /api/clusters/:ns/:name/addons/:addon': 'addon.update',
  'DELETE /api/clusters/:ns/:name/addons/:addon': 'addon.uninstall',
  'POST /api/management/addons': 'managementaddon.install',
  'PUT /api/management/addons/:name': 'managementaddon.update',
  'DELETE /api/management/addons/:name': 'managementaddon.uninstall',
  'POST /api/providers': 'provider.create',
  'POST /api/providers/test': 'provider.test',
  'POST /api/providers/:ns/:name/validate': 'provider.validate',
  'DELETE /api/providers/:ns/:name': 'provider.delete',
  'PUT /api/admin/config': 'config.update',
};

const openFiles = new Map<string, pino.DestinationStream & { flushSync?(): void }>();

function auditFile(path: string) {
  let dest = openFiles.get(path);
  if (!dest) {
    // Synchronous appends: audit lines are rare, and one must not be lost when the process exits.
    dest = pino.destination({ dest: path, sync: true, mkdir: true, append: true });
    openFiles.set(path, dest);
  }
  return dest;
}

const LEVEL_VALUES: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const LINE_LEVEL = /"level":"(\w+)"/;

/**
 * The log destination: every line goes to `logs` (stdout by default), except audit lines when an audit file is
 * configured, which go to that file instead. With a store, audit lines are also recorded there; lines below `level`
 * (the configured log level, when the logger itself runs at a lower one for the store's sake) are not written.
 */
export function logDestination(
  audit: Config['audit'],
  logs?: NodeJS.WritableStream,
  store?: AuditStore,
  level?: string,
): NodeJS.WritableStream {
  const main = logs ?? process.stdout;
  if (!audit.file && !store) return main;
  const file = audit.file ? auditFile(audit.file) : undefined;
  const minimum = level === undefined ? 0 : level === 'silent' ? Infinity : (LEVEL_VALUES[level] ?? 0);
  const shown = (line: string) => {
    if (minimum === 0) return true;
    const m = LINE_LEVEL.exec(line.slice(0, 120));
    return (LEVEL_VALUES[m?.[1] ?? ''] ?? Infinity) >= minimum;
  };
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      const line = chunk.toString();
      const isAudit = line.includes(AUDIT_MARK);
      if (isAudit) store?.recordLine(line);
      if (!shown(line)) {
        callback();
        return;
      }
      if (isAudit && file) {
        file.write(line);
        callback();
        return;
      }
      // Straight into the main stream's own buffer, as if pino wrote there itself: nothing waits in this wrapper.
      main.write(line);
      callback();
    },
  });
}

/**
 * The server's logger. Audit lines are logged at info; with an audit store and a configured level above info the
 * logger runs at info so that the store still gets every audit line, and the destination drops what the configured
 * level would not show.
 */
export function createServerLogger(config: Config, store: AuditStore | undefined, logs?: NodeJS.WritableStream) {
  const configured = config.logLevel;
  const raise =
    store !== undefined && (configured === 'silent' || (LEVEL_VALUES[configured] ?? 0) > LEVEL_VALUES.info!);
  const destination = logDestination(
    config.audit,
    formattedStream(config.logFormat, logs),
    store,
    raise ? configured : undefined,
  );
  return createLogger(raise ? 'info' : configured, destination);
}

/** Namespaces a create defaults to when the body names none (docs/api.md §3.1, §3.6). */
function defaultNamespace(key: string, config: Config): string | undefined {
  if (key === 'POST /api/clusters') return config.tenantNamespace;
  if (key === 'POST /api/providers') return config.systemNamespace;
  return undefined;
}

function target(request: FastifyRequest, fallbackNs: string | undefined): string | undefined {
  const p = (request.params ?? {}) as Record<string, unknown>;
  const body = (request.body ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v.slice(0, 253) : undefined);
  const ns = str(p.ns) ?? str(p.namespace) ?? str(body.namespace) ?? fallbackNs;
  const name = str(p.name) ?? str(body.name);
  const parts = [ns, name].filter((x): x is string => x !== undefined).join('/');
  const addon = str(p.addon) ?? (request.method === 'POST' ? (str(body.addon) ?? undefined) : undefined);
  if (addon && parts) return `${parts}#${addon}`;
  return parts || addon || undefined;
}

/** onResponse hook: an audit line for every state-changing /api call (the auth routes audit themselves). */
export function installApiAudit(app: FastifyInstance, config: Config): void {
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!UNSAFE_METHODS.has(request.method)) return;
    const route = request.routeOptions.url;
    const path = route ?? request.url.split('?')[0] ?? '';
    if (!path.startsWith('/api/') || SELF_AUDITED.test(path)) return;
    // Refused before authentication: nobody to attribute it to, and the auth layer logs those.
    if (!request.session) return;
    const key = `${request.method} ${path}`;
    const status = reply.statusCode;
    request.log.info(
      {
        audit: true,
        event: AUDIT_ACTIONS[key] ?? key,
        user: request.session.username.slice(0, 64),
        address: clientAddress(request, config),
        target: target(request, defaultNamespace(key, config)),
        result: status < 400 ? 'success' : 'failure',
        status,
      },
      `audit ${AUDIT_ACTIONS[key] ?? key}`,
    );
  });
}
