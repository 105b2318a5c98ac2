// /ws/clusters (docs/api.md §6.2): live TenantCluster updates for the console.
//
// Upgrade rules: a foreign Origin gets 403 and a plain GET 426 (both JSON, before any upgrade); a socket without a
// session is accepted but data-less (pongs and protocol pings only) and closed with 4401 after
// BUTLER_WS_UNAUTH_TIMEOUT, or as soon as the same browser (its pre-login cookie, src/auth/browser-id.ts) logs in,
// within the unauthenticated caps (503 beyond them). An authenticated socket gets a
// `snapshot` (or, with `?resourceVersion=`, the missed events or a `resync`) and then every change, until its session
// is revoked or expires (4401). Server shutdown (1001) is done by app.ts for every WebSocket.
import fp from 'fastify-plugin';
import { Type } from '@sinclair/typebox';
import { QueryValue, WEBSOCKET_UPGRADE } from '../http/route-schemas.js';
import type {} from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { clientAddress } from '../auth/address.js';
import { browserCookieHeader, browserIdOf, newBrowserId } from '../auth/browser-id.js';
import type { RevocationStore } from '../auth/revocations.js';
import { watchSession } from '../auth/session-watch.js';
import type { Config } from '../config/types.js';
import type { Metrics } from '../observability/metrics.js';
import { forbidden, HttpError, serviceUnavailable } from '../http/errors.js';
import { isAllowedOriginValue } from '../http/origin.js';
import type { ResourceCache } from '../kube/cache.js';
import type { KubeObjectLike } from '../kube/cache-store.js';
import type { Session } from '../auth/session.js';
import type { TeamClusterViews } from '../identity/cluster-teams.js';
import type { Notification } from '../identity/notifications.js';
import { clusterFilterFor, receivesNotification } from '../identity/policy.js';
import type { IdentityServices } from '../identity/services.js';
import { clusterStream } from './cluster-stream.js';
import { LiveHub } from './live-hub.js';
import { MessageFeed } from './message-feed.js';
import { notificationFrame } from './messages.js';
import { ConnectionRegistry } from './connection-registry.js';
import { CLOSE, LiveConnection } from './live-connection.js';
import type { Principal } from '../identity/principal.js';

export const LIVE_CLUSTERS_PATH = '/ws/clusters';
/** How long a socket opened before the cache's first sync waits for it (docs/api.md §6.2), then 1011. */
const SYNC_WAIT_MS = 30_000;
/** Distinct coalescing keys for notifications (the console keeps the last 50). */
const NOTIFICATION_SLOTS = 64;

export interface LiveUpdatesServices {
  clusterCache: ResourceCache<KubeObjectLike>;
  revocations: RevocationStore;
  metrics: Pick<Metrics, 'onCollect' | 'wsConnections' | 'bufferedBytes' | 'liveFanOut'>;
  identity: IdentityServices;
  clusterViews: TeamClusterViews;
}

export interface LiveUpdatesOptions {
  config: Config;
  services: LiveUpdatesServices;
}

/** Introspection for metrics and tests: `app.liveUpdates`. */
export interface LiveUpdatesHandle {
  connections(): { authenticated: number; unauthenticated: number };
  /** Per-socket backpressure state (server side). */
  sockets(): {
    authenticated: boolean;
    bufferedAmount: number;
    pending: number;
    pendingBytes: number;
    slow: boolean;
  }[];
  /** Bytes held: the replay history, and every socket's pending frames plus what `ws` has not sent yet. */
  bufferedBytes(): { replay: number; send: number };
  closeAll(code: number, reason: string): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    liveUpdates: LiveUpdatesHandle;
  }
}

function resumePoint(request: FastifyRequest): string | undefined {
  const rv = (request.query as Record<string, unknown> | undefined)?.resourceVersion;
  if (typeof rv === 'string') return rv;
  if (Array.isArray(rv) && typeof rv[0] === 'string') return rv[0];
  return undefined;
}

async function liveUpdatesPluginImpl(app: FastifyInstance, opts: LiveUpdatesOptions): Promise<void> {
  const { config } = opts;
  const { clusterCache, revocations } = opts.services;
  const limits = {
    highWaterBytes: config.ws.slowClientHighWaterBytes,
    lowWaterBytes: config.ws.slowClientLowWaterBytes,
    maxPendingBytes: config.ws.sendQueueBytes,
  };
  const { identity, clusterViews } = opts.services;
  const hub = new LiveHub(clusterStream(clusterCache, clusterViews), {
    eventBuffer: config.ws.eventBuffer,
    eventBufferBytes: config.ws.eventBufferBytes,
    onFanOut: (ms) => opts.services.metrics.liveFanOut.observe({ stream: 'clusters' }, ms / 1000),
  });
  // Notifications are advisory: see message-feed.ts.
  const notifications = new MessageFeed<Notification, Principal>({
    channel: 'notification',
    source: identity.notifications,
    frame: notificationFrame,
    allows: (principal, n) => receivesNotification(principal, n.resourceRef?.team),
    slots: NOTIFICATION_SLOTS,
  });
  /** The login behind every authenticated socket, and who that is now. */
  const owners = new Map<LiveConnection, { session: Session; principal: Principal }>();
  const registry = new ConnectionRegistry({
    unauthMax: config.ws.unauthMax,
    unauthMaxPerAddress: config.ws.unauthMaxPerAddress,
    pingIntervalMs: config.ws.pingIntervalMs,
    slowClientMaxMs: config.ws.slowClientMaxMs,
  });
  hub.start();
  notifications.start();

  app.decorate('liveUpdates', {
    connections() {
      const unauthenticated = registry.unauthenticated;
      return { authenticated: registry.size - unauthenticated, unauthenticated };
    },
    sockets() {
      return [...registry.all()].map((c) => ({
        authenticated: c.authenticated,
        bufferedAmount: c.ws.bufferedAmount,
        pending: c.sender.pendingCount,
        pendingBytes: c.sender.pendingBytes,
        slow: c.sender.slowSince > 0,
      }));
    },
    bufferedBytes() {
      let send = 0;
      for (const c of registry.all()) send += c.sender.pendingBytes + c.ws.bufferedAmount;
      return { replay: hub.replayBytes, send };
    },
    closeAll: (code: number, reason: string) => registry.closeAll(code, reason),
  } satisfies LiveUpdatesHandle);

  const removeCollector = opts.services.metrics.onCollect(() => {
    const unauthenticated = registry.unauthenticated;
    const gauge = opts.services.metrics.wsConnections;
    gauge.set({ kind: 'clusters', authenticated: 'true' }, registry.size - unauthenticated);
    gauge.set({ kind: 'clusters', authenticated: 'false' }, unauthenticated);
    const held = app.liveUpdates.bufferedBytes();
    opts.services.metrics.bufferedBytes.set({ buffer: 'replay' }, held.replay);
    opts.services.metrics.bufferedBytes.set({ buffer: 'ws_send' }, held.send);
  });

  // Roles changed: each socket is judged again; a refused user's socket closes, a changed view gets a resync.
  let recheckQueued = false;
  const recheck = () => {
    recheckQueued = false;
    for (const [conn, owner] of owners) {
      const r = identity.resolver.resolve(owner.session);
      if (!r.ok) {
        conn.close(r.status === 403 ? CLOSE.forbidden : CLOSE.unauthenticated, r.error);
        continue;
      }
      owner.principal = r.principal;
      notifications.attach(conn.sender, r.principal);
      hub.setFilter(conn.sender, clusterFilterFor(r.principal));
    }
  };
  const stopRecheck = identity.onChange(() => {
    if (recheckQueued) return;
    recheckQueued = true;
    queueMicrotask(recheck);
  });

  app.addHook('onClose', async () => {
    stopRecheck();
    notifications.stop();
    removeCollector();
    registry.stop();
    hub.stop();
  });

  // A login closes the anonymous sockets of the same browser, so the console's reconnect carries the new session
  // at once instead of after BUTLER_WS_UNAUTH_TIMEOUT.
  app.butlerAuth.onBrowserLogin((browserId) =>
    registry.closeUnauthenticatedOf(browserId, CLOSE.unauthenticated, 'logged in; reconnect'),
  );
  // The browser id of each anonymous upgrade; a browser without one gets it with the upgrade answer.
  const browserIds = new WeakMap<IncomingMessage, string>();
  const browserCookies = new WeakMap<IncomingMessage, string>();
  app.websocketServer.on('headers', (headers: string[], req: IncomingMessage) => {
    const cookie = browserCookies.get(req);
    if (cookie !== undefined) headers.push(`Set-Cookie: ${cookie}`);
  });

  const checkUpgrade = async (request: FastifyRequest) => {
    if (!request.ws) return;
    const origin = request.headers.origin;
    if (origin !== undefined && !isAllowedOriginValue(origin, request, config)) {
      throw forbidden('cross-origin WebSocket refused');
    }
    // A disabled or deleted user's session is refused, not downgraded to the data-less mode.
    if (request.principalRefusal) throw new HttpError(request.principalRefusal.status, request.principalRefusal.error);
    if (request.session) return;
    if (!registry.canAcceptUnauthenticated(clientAddress(request, config))) {
      throw serviceUnavailable('too many unauthenticated connections; try again later', { 'retry-after': '5' });
    }
    let browserId = browserIdOf(request);
    if (browserId === undefined) {
      browserId = newBrowserId();
      browserCookies.set(request.raw, browserCookieHeader(request, config, browserId));
    }
    browserIds.set(request.raw, browserId);
  };

  app.route({
    method: 'GET',
    url: LIVE_CLUSTERS_PATH,
    schema: {
      summary: 'Live TenantCluster updates and notifications (WebSocket; data-less before login)',
      querystring: Type.Object({
        resourceVersion: Type.Optional(QueryValue('Resume after this version')),
      }),
      response: { 101: WEBSOCKET_UPGRADE },
    },
    preValidation: checkUpgrade,
    handler: async (_request: FastifyRequest, reply: FastifyReply) => {
      reply.header('upgrade', 'websocket');
      throw new HttpError(426, 'websocket upgrade required');
    },
    wsHandler: (ws: WebSocket, request: FastifyRequest) => {
      const session = request.session;
      const address = clientAddress(request, config);
      const conn = new LiveConnection(ws, address, session?.jti, limits, browserIds.get(request.raw));
      ws.on('close', () => {
        owners.delete(conn);
        registry.remove(conn);
        hub.detach(conn.sender);
        notifications.detach(conn.sender);
        conn.dispose();
      });

      if (!session) {
        // Checked before the upgrade too; this catches upgrades that raced past the check.
        if (!registry.canAcceptUnauthenticated(address)) {
          conn.close(CLOSE.tryAgainLater, 'too many unauthenticated connections');
          return;
        }
        registry.add(conn);
        const timer = setTimeout(
          () => conn.close(CLOSE.unauthenticated, 'not authenticated'),
          config.ws.unauthTimeoutMs,
        );
        timer.unref();
        conn.onEnd(() => clearTimeout(timer));
        return;
      }

      const principal = request.principal;
      if (!principal) {
        conn.close(CLOSE.unauthenticated, 'not authenticated');
        return;
      }
      registry.add(conn);
      owners.set(conn, { session, principal });
      notifications.attach(conn.sender, principal);
      conn.onEnd(watchSession(revocations, session, () => conn.close(CLOSE.unauthenticated, 'session ended')));
      const resumeFrom = resumePoint(request);
      // Teams as they are at attach time (the principal may have changed while the cache synced).
      const filterNow = () => clusterFilterFor(owners.get(conn)?.principal ?? principal);
      if (clusterCache.synced) {
        hub.attach(conn.sender, filterNow(), resumeFrom);
        return;
      }
      void clusterCache.waitForSync(SYNC_WAIT_MS).then((synced) => {
        if (!conn.open) return;
        if (synced) hub.attach(conn.sender, filterNow(), resumeFrom);
        else conn.close(CLOSE.internalError, 'cluster cache not ready');
      });
    },
  });
}

// Not encapsulated, so `app.liveUpdates` is visible to the app (tests, introspection).
export const liveUpdatesPlugin = fp(liveUpdatesPluginImpl, {
  name: 'butler-live-updates',
  fastify: '5.x',
  dependencies: ['butler-auth', '@fastify/websocket'],
  decorators: { request: ['session'] },
});
