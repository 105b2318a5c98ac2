// Builds the whole HTTP application from a Config and the Services. main.ts and every test use exactly this.

import { readFileSync } from 'node:fs';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { apiPlugin } from './api/plugin.js';
import { authPlugin } from './auth/plugin.js';
import { identityPlugin } from './identity/plugin.js';
import { ssoPlugin } from './sso/plugin.js';
import type { Config } from './config/types.js';
import { healthPlugin } from './health/plugin.js';
import { kubeVersionCheck } from './health/kube-version-check.js';
import { answerUnmatchedApi, isApiOrWsPath, requestPath } from './http/api-fallback.js';
import { installApiHeaders } from './http/api-headers.js';
import { installBodyParsers } from './http/body.js';
import { trackConnectionsForDrain } from './http/connection-drain.js';
import { installCors } from './http/cors.js';
import { createClientErrorHandler, webSocketErrorHandler } from './http/client-errors.js';
import { installErrorHandler, sendHttpError } from './http/error-handler.js';
import { HttpError } from './http/errors.js';
import { requestIdFor } from './http/request-id.js';
import { installRequestLog } from './http/request-log.js';
import { RouteTable } from './http/route-table.js';
import { installUnauthenticatedCap } from './http/unauthenticated-cap.js';
import type { App } from './http/app-type.js';
import { serializerCompiler } from './http/serializer.js';
import { validatorCompiler } from './api/validation/compiler.js';
import { liveUpdatesPlugin } from './live/plugin.js';
import { proxyPlugin } from './proxy/plugin.js';
import { createServerLogger, installApiAudit } from './observability/audit.js';
import { metricsPlugin } from './observability/metrics-plugin.js';
import type { Services } from './services.js';
import { createStaticHandler } from './static/handler.js';
import { watchTlsFiles } from './tls/reload.js';
import { terminalPlugin } from './terminal/plugin.js';

export interface BuildAppOptions {
  /** Where JSON log lines go (default stdout). */
  logStream?: NodeJS.WritableStream;
  /** false: no logging at all. */
  logger?: boolean;
}

/** How often Node checks the header and body timeouts: a fraction of the shorter one, within these bounds. */
const TIMEOUT_CHECK_MIN_MS = 50;
const TIMEOUT_CHECK_MAX_MS = 1000;

/** Close code for "server shutting down" (docs/api.md §6.1). */
const WS_GOING_AWAY = 1001;
const WS_TERMINATE_AFTER_MS = 2000;

export async function buildApp(config: Config, services: Services, opts: BuildAppOptions = {}): Promise<App> {
  const logger = opts.logger === false ? undefined : createServerLogger(config, services.audit, opts.logStream);
  const tlsFiles = config.tls
    ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) }
    : undefined;
  const timeouts = serverTimeouts(config);
  const app = Fastify({
    ...(tlsFiles ? { https: { ...tlsFiles, ...timeouts } } : { http: timeouts }),
    requestTimeout: config.http.bodyTimeoutMs,
    keepAliveTimeout: config.http.idleTimeoutMs,
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId: requestIdFor,
    bodyLimit: config.http.maxBodyBytes,
    trustProxy: config.http.trustProxy,
    // Requests that still arrive on open connections during the drain are served (with Connection: close),
    // so /readyz can answer its own 503 and nothing in flight is cut short.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 500 },
    // URLs the router cannot even take apart get the same JSON error shape as everything else.
    clientErrorHandler: createClientErrorHandler(() => app.log),
    frameworkErrors: (error, _request, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      sendHttpError(reply, new HttpError(tooLong ? 414 : 400, tooLong ? 'request path too long' : 'malformed URL'));
    },
  }) as unknown as App;
  // Every route's schemas: TypeBox types for the handlers (App), our validation messages, cached serialisers.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  if (config.tls && tlsFiles) {
    // New connections get a rotated certificate without a restart (src/tls/reload.ts).
    const reloader = watchTlsFiles(app.server as import('node:https').Server, config.tls, app.log, {
      initial: tlsFiles,
    });
    app.addHook('onClose', async () => reloader.close());
  }

  let shuttingDown = false;
  const connections = trackConnectionsForDrain(app.server);
  app.addHook('preClose', async () => {
    shuttingDown = true;
    connections.start();
    // Only the server's own shutdown ends every terminal session, each with its red line, before the generic 1001
    // below. A client's close code (a browser reload sends 1001 too) concerns nothing but its own socket.
    void app.terminals.closeAll();
  });
  // Requests still in flight at shutdown end their connection, so a keep-alive socket cannot hold the close open.
  app.addHook('onSend', async (_request, reply) => {
    if (shuttingDown) reply.header('connection', 'close');
  });

  const routes = new RouteTable();
  routes.watch(app);
  installErrorHandler(app, config.http.maxBodyBytes);
  installBodyParsers(app);
  installApiHeaders(app);
  installCors(app, config.http.corsOrigins);
  installRequestLog(app);

  await app.register(fastifyWebsocket, {
    options: { maxPayload: config.ws.maxMessageBytes },
    preClose: closeWebSocketsGoingAway,
    errorHandler: webSocketErrorHandler,
  });

  // Authentication first: its hook answers 401 before any route (or the /api 404/405 below) is decided.
  await app.register(authPlugin, { config, services });
  installUnauthenticatedCap(app, config);
  // Then the permission matrix (its hook judges every route registered after it) and the identity routes.
  await app.register(identityPlugin, { config, services });
  await app.register(ssoPlugin, { config, services });
  await app.register(metricsPlugin, { config, services });
  installApiAudit(app, config);
  await app.register(healthPlugin, {
    checks: [kubeVersionCheck(services.kube), ...services.readiness],
    shuttingDown: () => shuttingDown,
  });

  // ---- Capability plugins are registered here, each as `await app.register(plugin, { config, services })`:
  //      src/api/plugin.ts, src/live/plugin.ts, src/terminal/plugin.ts, src/proxy/plugin.ts
  await app.register(liveUpdatesPlugin, { config, services });
  await app.register(apiPlugin, { config, services });
  await app.register(proxyPlugin, { config, services });
  await app.register(terminalPlugin, { config, services });
  // ---- end of capability plugins

  // Last: whatever no route matched. /api and /ws get JSON 404/405; everything else is the static console.
  const staticFiles = createStaticHandler(config);
  app.setNotFoundHandler(async (request, reply) =>
    isApiOrWsPath(requestPath(request))
      ? answerUnmatchedApi(request, reply, routes)
      : staticFiles.handle(request, reply),
  );

  return app;
}

/** Node's own header and body timeouts (answered by the clientErrorHandler with 408), checked often enough. */
function serverTimeouts(config: Config) {
  const { headersTimeoutMs, bodyTimeoutMs } = config.http;
  const check = Math.floor(Math.min(headersTimeoutMs, bodyTimeoutMs) / 4);
  return {
    headersTimeout: headersTimeoutMs,
    requestTimeout: bodyTimeoutMs,
    connectionsCheckingInterval: Math.max(TIMEOUT_CHECK_MIN_MS, Math.min(TIMEOUT_CHECK_MAX_MS, check)),
  };
}

/** @fastify/websocket preClose: every socket gets 1001, and is terminated if it does not finish the close handshake. */
function closeWebSocketsGoingAway(this: FastifyInstance, done: () => void): void {
  const wss = (this as unknown as { websocketServer: { clients: Set<WebSocket>; close(cb: () => void): void } })
    .websocketServer;
  for (const client of wss.clients) {
    client.close(WS_GOING_AWAY, 'server shutting down');
    setTimeout(() => client.terminate(), WS_TERMINATE_AFTER_MS).unref();
  }
  this.server.removeAllListeners('upgrade');
  wss.close(() => done());
}
