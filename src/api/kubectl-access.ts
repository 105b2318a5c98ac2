// kubectl through butler-server: kubeconfigs whose server is this server's Kubernetes API proxy
// (`/api/proxy/management`, `/api/proxy/tenant/{ns}/{name}`) and whose credential is a kubectl token issued for the
// downloading user (own id, own lifetime, audited, revocable on its own). A cluster's own credentials never leave.
import type { App } from '../http/app-type.js';
import { identityOf } from '../auth/session.js';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates, type PeerCertificate, type TLSSocket } from 'node:tls';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import yaml from 'js-yaml';
import type { IssuedToken } from '../auth/session.js';
import type { Config } from '../config/types.js';
import { badRequest, HttpError, serviceUnavailable } from '../http/errors.js';
import { ownOrigin } from '../http/origin.js';
import { toHttpError } from '../kube/errors.js';
import type { ApiContext } from './context.js';
import { username } from './kube-helpers.js';

export const KubectlKubeconfigResponse = Type.Object(
  {
    kubeconfig: Type.String(),
    tokenId: Type.String(),
    expiresAt: Type.String(),
  },
  { title: 'KubectlKubeconfig' },
);

const TokenIdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{32}$' }) });

export type ProxyTarget = { kind: 'management' } | { kind: 'tenant'; namespace: string; name: string };

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The certificates of a PEM bundle, in order. */
function pemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** Whether a chain (leaf first) leads to one of Node's public root certificates. */
function publiclyTrusted(chainPem: string[]): boolean {
  let chain: X509Certificate[];
  try {
    chain = chainPem.map((p) => new X509Certificate(p));
  } catch {
    return false;
  }
  const roots = rootCertificates.map((p) => new X509Certificate(p));
  let current: X509Certificate | undefined = chain[0];
  for (let hops = 0; current && hops < 8; hops++) {
    const cert: X509Certificate = current;
    if (roots.some((r) => r.fingerprint256 === cert.fingerprint256)) return true;
    if (roots.some((r) => cert.checkIssued(r) && cert.verify(r.publicKey))) return true;
    current = chain.find((c) => c !== cert && cert.checkIssued(c) && cert.verify(c.publicKey));
  }
  return false;
}

/**
 * The CA data a kubeconfig embeds: BUTLER_PUBLIC_CA_FILE for BUTLER_PUBLIC_URL; without a public URL and with the
 * request served over this server's own TLS, the served chain when no public root vouches for it (a private CA or
 * a self-signed certificate). Undefined when the client can verify the server by itself.
 */
export function caDataFor(request: FastifyRequest, config: Config): string | undefined {
  if (config.http.publicUrl !== undefined) {
    return config.http.publicCaFile !== undefined ? readFileSync(config.http.publicCaFile, 'utf8') : undefined;
  }
  const socket = request.raw.socket as TLSSocket;
  if (!socket.encrypted) return undefined;
  // The chain as configured (it may carry intermediates and the CA); else what the socket served.
  let chain = config.tls ? pemCertificates(readFileSync(config.tls.certFile, 'utf8')) : [];
  if (chain.length === 0) {
    const served = socket.getCertificate() as PeerCertificate | null;
    if (!served || !('raw' in served)) return undefined;
    chain = [new X509Certificate(served.raw).toString()];
  }
  return publiclyTrusted(chain) ? undefined : `${chain.join('\n')}\n`;
}

/** The base URL kubectl reaches this server at: BUTLER_PUBLIC_URL, else the address the request came to. */
export function publicBaseUrl(request: FastifyRequest, config: Config): string {
  if (config.http.publicUrl !== undefined) return config.http.publicUrl;
  const origin = ownOrigin(request, config);
  if (!origin) throw badRequest('cannot tell the server address from this request (no Host); set BUTLER_PUBLIC_URL');
  return origin;
}

export function proxyKubeconfig(o: {
  baseUrl: string;
  caData?: string;
  target: ProxyTarget;
  username: string;
  issued: IssuedToken;
}): string {
  const path =
    o.target.kind === 'management'
      ? '/api/proxy/management'
      : `/api/proxy/tenant/${encodeURIComponent(o.target.namespace)}/${encodeURIComponent(o.target.name)}`;
  const host = new URL(o.baseUrl).host;
  const targetName = o.target.kind === 'management' ? 'management' : `${o.target.namespace}-${o.target.name}`;
  // Names carry the server and the cluster so that kubeconfigs from several downloads merge without collisions.
  const cluster = `butler-${host}-${targetName}`;
  const user = `${o.username}@${cluster}-${o.issued.jti.slice(0, 8)}`;
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: cluster,
        cluster: {
          server: `${o.baseUrl}${path}`,
          ...(o.caData ? { 'certificate-authority-data': Buffer.from(o.caData).toString('base64') } : {}),
        },
      },
    ],
    users: [{ name: user, user: { token: o.issued.token } }],
    contexts: [{ name: cluster, context: { cluster, user } }],
    'current-context': cluster,
    preferences: {},
  };
  const header = [
    `# kubectl through butler-server (${targetName}); token id ${o.issued.jti}, expires ${iso(o.issued.expiresAt)}.`,
    `# Revoke it with DELETE /api/auth/kubectl-tokens/${o.issued.jti} (the browser session stays).`,
  ].join('\n');
  return `${header}\n${yaml.dump(doc, { lineWidth: -1, noRefs: true })}`;
}

/** Issues a kubectl token for the request's user and answers the kubeconfig for `target`; audited. */
export async function kubectlKubeconfig(
  request: FastifyRequest,
  config: Config,
  target: ProxyTarget,
): Promise<Static<typeof KubectlKubeconfigResponse>> {
  const user = username(request);
  const baseUrl = publicBaseUrl(request, config);
  const caData = caDataFor(request, config);
  const issued = await request.server.butlerAuth.tokens.issueKubectl(identityOf(request.session!));
  request.log.info(
    {
      audit: true,
      event: 'kubectl-token.issue',
      user: user.slice(0, 64),
      cluster: target.kind === 'management' ? 'management' : `${target.namespace}/${target.name}`,
      tokenId: issued.jti,
      expiresAt: iso(issued.expiresAt),
    },
    'audit kubectl-token.issue',
  );
  return {
    kubeconfig: proxyKubeconfig({ baseUrl, caData, target, username: user, issued }),
    tokenId: issued.jti,
    expiresAt: iso(issued.expiresAt),
  };
}

export function registerKubectlAccessRoutes(app: App, ctx: ApiContext): void {
  app.get(
    '/api/management/kubeconfig',
    {
      schema: {
        summary: 'A kubeconfig for kubectl through the management cluster proxy (platform admins)',
        response: { 200: KubectlKubeconfigResponse },
      },
    },
    // Platform admins only (src/identity/policy.ts).
    async (request) => kubectlKubeconfig(request, ctx.config, { kind: 'management' }),
  );

  app.delete(
    '/api/auth/kubectl-tokens/:id',
    {
      schema: {
        summary: 'Revoke a kubectl token by its id (the browser session stays valid)',
        params: TokenIdParams,
        response: { 200: Type.Object({ message: Type.String() }) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { revocations } = request.server.butlerAuth;
      if (!revocations.synced) throw serviceUnavailable('session store not ready', { 'retry-after': '1' });
      // The token's own expiry is not known here; no kubectl token outlives issue time + its lifetime.
      const expiresAt = new Date(Date.now() + ctx.config.auth.kubectlTokenTtlMs + 60_000);
      const audit = (result: string) =>
        request.log.info(
          { audit: true, event: 'kubectl-token.revoke', user: username(request).slice(0, 64), tokenId: id, result },
          'audit kubectl-token.revoke',
        );
      try {
        await revocations.revoke(id, expiresAt);
      } catch (err) {
        audit('failed');
        const mapped = toHttpError(err, { kind: 'ConfigMap', verb: 'create', resource: 'configmaps' });
        throw new HttpError(mapped.status === 504 ? 504 : 502, 'revocation could not be recorded');
      }
      audit('success');
      return { message: 'kubectl token revoked' };
    },
  );
}
