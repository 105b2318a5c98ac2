// /ws/terminal/... (docs/api.md §6.3). Admission: Origin (403, before the upgrade) → upgrade → login session (4401) → access by role
// (policy.terminalAccess: management for platform admins, a tenant cluster by its team; viewers read-only) and
// enabled type (4403) → session caps (4429) → target (4404); each refusal after the upgrade is one red line, then
// the close. `?session=<id>` reattaches to a running session. When a user's roles change, running terminals are
// re-checked: access lost ends them (4403, disabled or deleted users 4401), a downgrade makes them read-only.
import type {} from '@fastify/websocket';
import fp from 'fastify-plugin';
import { Type } from '@sinclair/typebox';
import { QueryValue, WEBSOCKET_UPGRADE } from '../http/route-schemas.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { clientAddress } from '../auth/address.js';
import type { Config } from '../config/types.js';
import { forbidden, HttpError } from '../http/errors.js';
import { lookupClusterTeam } from '../identity/plugin.js';
import { terminalAccess, type TerminalMode } from '../identity/policy.js';
import type { Principal } from '../identity/principal.js';
import { isAllowedOriginValue } from '../http/origin.js';
import type { Services } from '../services.js';
import { CLOSE, redLine } from './close-codes.js';
import { TerminalManager } from './manager.js';
import { TerminalRefusal } from './open-target.js';
import { isManagementTarget, parseTerminalPath, TERMINAL_PREFIX, type TerminalTarget } from './target.js';

export interface TerminalPluginOptions {
  config: Config;
  services: Pick<
    Services,
    'kube' | 'managementKubeConfig' | 'tenants' | 'revocations' | 'metrics' | 'identity' | 'clusterCache'
  >;
}

declare module 'fastify' {
  interface FastifyInstance {
    terminals: TerminalManager;
  }
}

/** Input that arrives while the target is resolved is kept (up to this much) and written once the shell runs. */
const EARLY_INPUT_MAX_BYTES = 64 * 1024;
const CLOSE_GRACE_MS = 2000;
const TERMINAL_ROUTES = [':type', ':type/:a', ':type/:a/:b', ':type/:a/:b/:c', ':type/:a/:b/:c/:d'].map(
  (p) => `${TERMINAL_PREFIX}${p}`,
);

function queryString(request: FastifyRequest, name: string): string | undefined {
  const v = (request.query as Record<string, unknown> | undefined)?.[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

function refuse(ws: WebSocket, code: number, message: string): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(redLine(message));
  ws.close(code, message.slice(0, 120));
  setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

/** Interactive or read-only for this principal and target; throws 403. An unparsable path is judged as management. */
function accessFor(p: Principal, target: TerminalTarget | undefined, team: string | undefined): TerminalMode {
  if (!target || target.kind === 'management-shell' || target.kind === 'management-pod')
    return terminalAccess(p, { kind: 'management' });
  return terminalAccess(p, { kind: 'tenant', team });
}

async function terminalPluginImpl(app: FastifyInstance, opts: TerminalPluginOptions): Promise<void> {
  const { config, services } = opts;
  const manager = new TerminalManager({
    config,
    kube: services.kube,
    tenants: services.tenants,
    managementKubeConfig: services.managementKubeConfig,
    revocations: services.revocations,
    log: app.log.child({ component: 'terminal' }) as unknown as Services['log'],
  });
  app.decorate('terminals', manager);
  const { metrics } = services;
  const removeCollector = metrics.onCollect(() => {
    const sessions = manager.list();
    const attached = sessions.filter((s) => s.attached).length;
    metrics.wsConnections.set({ kind: 'terminal', authenticated: 'true' }, attached);
    metrics.terminalSessions.reset();
    for (const s of manager.stats()) metrics.terminalSessions.set({ kind: s.kind, state: s.state }, s.count);
    let scrollback = 0;
    let send = 0;
    for (const s of sessions) {
      scrollback += s.scrollbackBytes;
      send += s.bufferedAmount;
    }
    metrics.bufferedBytes.set({ buffer: 'terminal_scrollback' }, scrollback);
    metrics.bufferedBytes.set({ buffer: 'terminal_send' }, send);
  });
  // The server's own shutdown ends the sessions (app.ts, before the WebSockets get 1001); here it waits for them.
  app.addHook('onClose', async () => {
    removeCollector();
    await manager.closeAll();
  });

  async function admit(ws: WebSocket, request: FastifyRequest): Promise<void> {
    const early: [Buffer, boolean][] = [];
    let earlyBytes = 0;
    const collect = (data: RawData, isBinary: boolean) => {
      const buf = toBuffer(data);
      if (earlyBytes + buf.length > EARLY_INPUT_MAX_BYTES) return;
      earlyBytes += buf.length;
      early.push([buf, isBinary]);
    };
    ws.on('message', collect);
    const fail = (code: number, message: string) => {
      ws.off('message', collect);
      refuse(ws, code, message);
    };

    const login = request.session;
    if (!login) return fail(CLOSE.unauthenticated, 'not logged in or session expired');
    const principal = request.principal;
    if (!principal) {
      const refusal = request.principalRefusal;
      return fail(refusal?.status === 403 ? CLOSE.forbidden : CLOSE.unauthenticated, refusal?.error ?? 'not logged in');
    }
    const path = request.url.split('?')[0] ?? '';
    if (isManagementTarget(path) && !config.terminal.managementEnabled)
      return fail(CLOSE.forbidden, 'management terminals are disabled');
    const parsed = parseTerminalPath(path, queryString(request, 'podNamespace'));
    let team: string | undefined;
    let mode: TerminalMode;
    try {
      if (parsed && parsed.kind !== 'management-shell' && parsed.kind !== 'management-pod') {
        const t = await lookupClusterTeam(services, parsed.namespace, parsed.cluster);
        team = t ?? undefined;
      }
      mode = accessFor(principal, parsed, team);
    } catch (err) {
      if (err instanceof HttpError && err.status === 403) return fail(CLOSE.forbidden, err.message);
      throw err;
    }
    const address = clientAddress(request, config);

    const reattachId = queryString(request, 'session');
    if (reattachId !== undefined) {
      let existing = manager.get(reattachId);
      if (existing && existing.user !== login.username)
        return fail(CLOSE.forbidden, 'terminal session belongs to another user');
      const target = parseTerminalPath(path, queryString(request, 'podNamespace'));
      if (!existing && manager.shellPods && target && /^[a-f0-9]{32}$/.test(reattachId)) {
        // Pod mode: the session may run on another replica's watch; the cluster knows it.
        try {
          existing = await manager.adopt({ id: reattachId, user: login.username, target, path });
          existing.owner = { identity: login, team };
        } catch (err) {
          if (err instanceof TerminalRefusal) return fail(err.code, err.message);
          throw err;
        }
        if (ws.readyState !== ws.OPEN) {
          existing.detached();
          return;
        }
      }
      if (!existing || existing.isEnded || existing.path !== path)
        return fail(CLOSE.notFound, 'terminal session expired');
      ws.off('message', collect);
      existing.readOnly = mode === 'read-only';
      existing.attach(ws, login, address, true);
      if (existing.readOnly) ws.send(redLine('read-only terminal: your role allows viewing only'));
      existing.replayInput(early);
      return;
    }

    const id = manager.newId();
    let reservation;
    try {
      reservation = manager.reserve(login.username, id);
    } catch (err) {
      if (err instanceof TerminalRefusal) return fail(err.code, err.message);
      throw err;
    }
    const target = parsed;
    if (!target) {
      reservation.release();
      return fail(CLOSE.notFound, 'no such terminal type or target');
    }
    let opened;
    try {
      opened = await manager.open(target, { id, user: login.username, path });
    } catch (err) {
      reservation.release();
      if (err instanceof TerminalRefusal) return fail(err.code, err.message);
      request.log.error({ err }, 'terminal could not be started');
      return fail(CLOSE.internalError, 'terminal could not be started');
    }
    if (ws.readyState !== ws.OPEN || manager.isShuttingDown) {
      reservation.release();
      if (manager.isShuttingDown) fail(CLOSE.goingAway, 'server is shutting down');
      await opened.backend.terminate();
      return;
    }
    const session = manager.create({ id, user: login.username, target, path, opened, reservation });
    session.readOnly = mode === 'read-only';
    session.owner = { identity: login, team };
    ws.off('message', collect);
    session.attach(ws, login, address, false);
    if (session.readOnly) ws.send(redLine('read-only terminal: your role allows viewing only'));
    session.replayInput(early);
  }

  // Roles changed (a Team or User object): every running terminal is judged again with its owner's new principal.
  let recheckQueued = false;
  const recheck = () => {
    recheckQueued = false;
    for (const s of manager.all()) {
      if (!s.owner || s.isEnded) continue;
      const r = services.identity.resolver.resolve(s.owner.identity);
      if (!r.ok) {
        void s.end('access-removed', redLine(r.error), r.status === 403 ? CLOSE.forbidden : CLOSE.unauthenticated);
        continue;
      }
      try {
        s.readOnly = accessFor(r.principal, s.target, s.owner.team) === 'read-only';
      } catch {
        void s.end('access-removed', redLine('terminal access removed'), CLOSE.forbidden);
      }
    }
  };
  const stopRecheck = services.identity.onChange(() => {
    if (recheckQueued) return;
    recheckQueued = true;
    queueMicrotask(recheck);
  });
  app.addHook('onClose', async () => stopRecheck());

  // One route per path depth (type plus up to four segments) rather than a wildcard: the handler parses the path.
  for (const url of TERMINAL_ROUTES)
    app.route({
      method: 'GET',
      url,
      schema: {
        summary: 'A browser terminal (WebSocket): management shell, tenant shell or pod exec',
        params: Type.Object(Object.fromEntries([...url.matchAll(/:(\w+)/g)].map(([, name]) => [name!, Type.String()]))),
        querystring: Type.Object({
          podNamespace: Type.Optional(QueryValue('Namespace of the pod (pod exec)')),
          session: Type.Optional(QueryValue('Reattach to this detached session')),
        }),
        response: { 101: WEBSOCKET_UPGRADE },
      },
      preValidation: async (request: FastifyRequest) => {
        if (!request.ws) return;
        const origin = request.headers.origin;
        if (origin !== undefined && !isAllowedOriginValue(origin, request, config))
          throw forbidden('cross-origin WebSocket refused');
      },
      handler: async (_request: FastifyRequest, reply: FastifyReply) => {
        reply.header('upgrade', 'websocket');
        throw new HttpError(426, 'websocket upgrade required');
      },
      wsHandler: (ws: WebSocket, request: FastifyRequest) => {
        admit(ws, request).catch((err: unknown) => {
          request.log.error({ err }, 'terminal admission failed');
          refuse(ws, CLOSE.internalError, 'terminal could not be started');
        });
      },
    });
}

// Not encapsulated, so `app.terminals` is visible to the app (tests, introspection).
export const terminalPlugin = fp(terminalPluginImpl, {
  name: 'butler-terminal',
  fastify: '5.x',
  dependencies: ['butler-auth', '@fastify/websocket'],
  decorators: { request: ['session'] },
});
export { TerminalManager } from './manager.js';
