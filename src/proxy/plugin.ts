// The Kubernetes API proxy: `/api/proxy/management/<k8s path>` and `/api/proxy/tenant/{ns}/{cluster}/<k8s path>`.
// Bodies stream both ways (a watch flows event by event, a large list is never held whole); upgrades (exec,
// attach, port-forward) are spliced end to end. Sessions, Origin and CSRF rules come from the auth hook.
import fp from 'fastify-plugin';
import { Type } from '@sinclair/typebox';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Session } from '../auth/session.js';
import { watchSession } from '../auth/session-watch.js';
import type { Config } from '../config/types.js';
import { forbidden, HttpError, serviceUnavailable, tooManyRequests, unauthorized } from '../http/errors.js';
import { isAllowedOrigin } from '../http/origin.js';
import { connectOptions } from '../kube/credentials.js';
import { toHttpError } from '../kube/errors.js';
import { impersonationHeaders, type Impersonation } from '../kube/impersonation.js';
import type { Services } from '../services.js';
import { lookupClusterTeam } from '../identity/plugin.js';
import { checkCluster } from '../identity/policy.js';
import { bodyTooLarge, discardRestOfBody, hasBody, limitedBody } from './body-limit.js';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './headers.js';
import {
  isLongRunning,
  MANAGEMENT_PREFIX,
  parseProxyUrl,
  targetLabel,
  TENANT_PREFIX,
  type ProxyUrl,
} from './proxy-url.js';
import { createConcurrencyLimiter } from '../net/limiter.js';
import { createUpstreamResolver, type Upstream } from './upstream.js';
import { installStatusErrorHandler } from './status.js';
import { requestUpgrade, spliceUpgraded } from './upgrade.js';

export interface ProxyPluginOptions {
  config: Config;
  services: Pick<
    Services,
    'kube' | 'managementKubeConfig' | 'tenants' | 'revocations' | 'clusterCache' | 'impersonationFor' | 'metrics'
  >;
}

const METHODS = ['DELETE', 'GET', 'PATCH', 'POST', 'PUT', 'OPTIONS'];
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const AUDIT_PATH_MAX = 512;

/** What to close at shutdown: open watches and upgraded connections would otherwise hold the server open. */
type Closer = () => void;

function headBuffer(raw: IncomingMessage): Buffer {
  // @fastify/websocket keeps the bytes read past the upgrade request under a private symbol.
  const sym = Object.getOwnPropertySymbols(raw).find((s) => s.description === 'ws-head');
  const head = sym ? (raw as unknown as Record<symbol, unknown>)[sym] : undefined;
  return Buffer.isBuffer(head) ? head : Buffer.alloc(0);
}

const isUpgrade = (request: FastifyRequest) =>
  (request as unknown as { ws?: boolean }).ws === true && typeof request.headers.upgrade === 'string';

async function proxyPluginImpl(app: FastifyInstance, opts: ProxyPluginOptions): Promise<void> {
  const { config, services } = opts;
  const resolveUpstream = createUpstreamResolver({
    management: services.kube,
    managementKubeConfig: services.managementKubeConfig,
    tenants: services.tenants,
  });
  const limiter = createConcurrencyLimiter(config.proxy.maxStreamsPerUser);
  const maxBody = config.proxy.maxBodyBytes;
  const open = new Set<Closer>();
  // Bytes each relay holds right now (stream buffers; backpressure keeps them to the streams' high-water marks).
  const held = new Set<() => number>();
  const heldBytes = () => {
    let bytes = 0;
    for (const measure of held) bytes += measure();
    return bytes;
  };
  const removeMetric = services.metrics.onCollect(() =>
    services.metrics.bufferedBytes.set({ buffer: 'proxy' }, heldBytes()),
  );
  /** Slow readers make streams hold their buffers; beyond the bound no new stream starts. */
  const checkBuffers = () => {
    if (heldBytes() > config.proxy.maxBufferedBytes)
      throw serviceUnavailable('proxy buffers are full; try again later', { 'retry-after': '1' });
  };

  app.addHook('preClose', async () => {
    for (const close of [...open]) close();
  });
  app.addHook('onClose', async () => removeMetric());

  // Errors of the proxy itself, including the auth hook's 401/403 for these routes, answer as Kubernetes Status.
  installStatusErrorHandler(app, maxBody);

  // The body stays a stream: no parser, no buffering, and this limit instead of the JSON API's.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const timeoutFor = (u: Upstream) => (u.api === 'tenant' ? config.tenantTimeoutMs : config.kubeTimeoutMs);

  function audit(request: FastifyRequest, event: string, u: ProxyUrl, status: number) {
    const session = request.session;
    const path = `${u.apiPath}${u.search}`;
    request.log.info(
      {
        audit: true,
        event,
        user: (session?.username ?? '').slice(0, 64),
        cluster: targetLabel(u.target),
        method: request.method,
        path: path.length > AUDIT_PATH_MAX ? `${path.slice(0, AUDIT_PATH_MAX)}…` : path,
        status,
      },
      `audit ${event}`,
    );
  }

  /**
   * Whom a request to the management cluster impersonates (services.impersonationFor, from the session), so that the
   * management cluster's RBAC limits what the user does there. Tenant clusters are reached with their admin kubeconfig.
   */
  const impersonationOf = (request: FastifyRequest, upstream: Upstream): Impersonation | undefined =>
    upstream.api === 'management' ? services.impersonationFor?.(request) : undefined;

  const sessionOf = (request: FastifyRequest): Session => {
    // The auth hook answers 401 before any /api route; this only guards against a misregistration.
    if (!request.session) throw unauthorized();
    return request.session;
  };

  function acquireStream(session: Session): () => void {
    const release = limiter.tryAcquire(session.username);
    if (!release) throw tooManyRequests('too many open proxy streams; close some and try again', 1);
    return release;
  }

  /** Relays an upstream answer to the caller as it arrives. `onClosed` runs once the answer is over. */
  function relayResponse(
    reply: FastifyReply,
    upstream: IncomingMessage,
    o: { onClosed: (status: number) => void; longRunning?: Session },
  ): FastifyReply {
    const res = reply.raw;
    reply.code(upstream.statusCode ?? 502);
    reply.headers(downstreamResponseHeaders(upstream.headers));
    const closer: Closer = () => {
      // End a watch cleanly, so that the client re-establishes it (elsewhere, or after logging in again).
      upstream.unpipe(res);
      upstream.destroy();
      res.end();
    };
    let stopWatching: (() => void) | undefined;
    const measure = () => upstream.readableLength + res.writableLength;
    held.add(measure);
    if (o.longRunning) {
      // Watch answers may not carry data for a while: the client should see the headers at once.
      res.once('pipe', () => res.flushHeaders());
      // Shutdown ends it (ordinary answers are left to finish), and so does the end of its session (logout on
      // any replica, or expiry), as for the console's sockets.
      open.add(closer);
      stopWatching = watchSession(services.revocations, o.longRunning, closer);
    }
    res.once('close', () => {
      held.delete(measure);
      stopWatching?.();
      open.delete(closer);
      if (!upstream.complete) upstream.destroy();
      o.onClosed(reply.statusCode);
    });
    return reply.send(upstream);
  }

  /** A tenant cluster's API is as open as its kubeconfig (team operators and admins); the management API: route rule. */
  async function authorizeTarget(request: FastifyRequest, u: ProxyUrl): Promise<void> {
    if (u.target.kind !== 'tenant') return;
    if (!request.principal) throw unauthorized();
    const team = await lookupClusterTeam(services, u.target.namespace, u.target.cluster);
    if (team !== null) checkCluster(request.principal, team, 'kubeconfig');
  }

  async function proxyHttp(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const session = sessionOf(request);
    const u = parseProxyUrl(request.raw.url ?? '/');
    await authorizeTarget(request, u);
    const mutating = MUTATING.has(request.method);
    checkBuffers();
    const release = isLongRunning(request.method, u) ? acquireStream(session) : undefined;
    const abort = new AbortController();
    try {
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > maxBody) throw bodyTooLarge(maxBody);
      const upstream = await resolveUpstream(u.target);
      const who = impersonationOf(request, upstream);
      const client = who ? upstream.client.as(who) : upstream.client;
      const headers = upstreamRequestHeaders(request.headers);
      let bodyError: HttpError | undefined;
      let body: Readable | undefined;
      if (hasBody(request.headers) && request.body instanceof Readable) {
        body = limitedBody(request.body, maxBody);
        body.on('error', (err) => {
          bodyError = err instanceof HttpError ? err : new HttpError(400, 'request body could not be read');
          abort.abort();
        });
      }
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) abort.abort();
      });
      let answer: IncomingMessage;
      try {
        answer = await client.raw({
          method: request.method,
          path: `${u.apiPath}${u.search}`,
          headers,
          body,
          contentType: headers['content-type'],
          signal: abort.signal,
          timeoutMs: timeoutFor(upstream),
        });
      } catch (err) {
        if (bodyError) throw bodyError;
        if (abort.signal.aborted) throw new HttpError(499, 'client closed the request');
        throw toHttpError(err, { kind: 'resource', api: upstream.api });
      }
      const streaming = release !== undefined;
      return relayResponse(reply, answer, {
        longRunning: streaming ? session : undefined,
        onClosed: (status) => {
          release?.();
          if (mutating) audit(request, 'proxy.request', u, status);
        },
      });
    } catch (err) {
      release?.();
      if (err instanceof HttpError && err.status === 413)
        reply.raw.once('finish', () => discardRestOfBody(request.raw, maxBody));
      if (mutating) audit(request, 'proxy.request', u, err instanceof HttpError ? err.status : 500);
      throw err;
    }
  }

  /** preHandler: upgrade requests never reach a handler (@fastify/websocket would answer them itself). */
  async function proxyUpgrade(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (!isUpgrade(request)) return undefined;
    const session = sessionOf(request);
    const u = parseProxyUrl(request.raw.url ?? '/');
    await authorizeTarget(request, u);
    let release: (() => void) | undefined;
    try {
      // docs/api.md §6.1: a browser's upgrade must come from an allowed origin, whatever the method.
      if (request.headers.origin !== undefined && !isAllowedOrigin(request, config))
        throw forbidden('cross-origin request refused');
      checkBuffers();
      release = acquireStream(session);
      const upstream = await resolveUpstream(u.target);
      const who = impersonationOf(request, upstream);
      let answer;
      try {
        answer = await requestUpgrade(await connectOptions(upstream.kubeConfig, upstream.client.name), {
          method: request.method,
          pathAndQuery: `${u.apiPath}${u.search}`,
          headers: { ...upstreamRequestHeaders(request.headers), ...(who ? impersonationHeaders(who) : {}) },
          upgrade: request.headers.upgrade as string,
          timeoutMs: timeoutFor(upstream),
          clientName: upstream.client.name,
        });
      } catch (err) {
        throw toHttpError(err, { kind: 'resource', api: upstream.api });
      }
      if (answer.kind === 'response') {
        const done = release;
        release = undefined;
        return relayResponse(reply, answer.response, {
          onClosed: (status) => {
            done();
            audit(request, 'proxy.upgrade', u, status);
          },
        });
      }
      reply.hijack();
      const client = request.raw.socket;
      const spliced = spliceUpgraded(client, headBuffer(request.raw), answer);
      audit(request, 'proxy.upgrade', u, 101);
      open.add(spliced.destroy);
      const upstreamSocket = answer.socket;
      const measure = () =>
        client.writableLength + client.readableLength + upstreamSocket.writableLength + upstreamSocket.readableLength;
      held.add(measure);
      const stopWatching = watchSession(services.revocations, session, spliced.destroy);
      const done = release;
      release = undefined;
      void spliced.closed.then(() => {
        held.delete(measure);
        stopWatching();
        open.delete(spliced.destroy);
        done();
      });
      return reply;
    } catch (err) {
      release?.();
      audit(request, 'proxy.upgrade', u, err instanceof HttpError ? err.status : 500);
      throw err;
    }
  }

  // `<prefix>/` on its own as well (the wildcard matches it too): find-my-way prints a wildcard route under its
  // parent only when that parent is a route itself, and the route-coverage test reads the printed tree.
  for (const prefix of [MANAGEMENT_PREFIX, TENANT_PREFIX]) {
    for (const url of [`${prefix}/`, `${prefix}/*`])
      app.route({
        method: METHODS,
        url,
        schema: {
          summary: `Kubernetes API of the ${prefix === MANAGEMENT_PREFIX ? 'management cluster' : 'tenant cluster <ns>/<name>'}, passed through as the user (HTTP and WebSocket)`,
          ...(url.endsWith('*')
            ? { params: Type.Object({ '*': Type.String({ description: 'The Kubernetes API path' }) }) }
            : {}),
          // Bodies and answers pass through unchanged (any media type); nothing is parsed or serialised here.
          response: { 200: Type.Unknown({ description: 'The Kubernetes API answer' }) },
        },
        preHandler: proxyUpgrade,
        handler: proxyHttp,
      });
  }
}

// Encapsulated: its pass-through body parser applies to the proxy routes only.
export const proxyPlugin = fp(proxyPluginImpl, {
  name: 'butler-proxy',
  fastify: '5.x',
  dependencies: ['butler-auth', '@fastify/websocket'],
  encapsulate: true,
});
