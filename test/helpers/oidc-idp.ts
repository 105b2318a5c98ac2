// A real, certified OpenID Provider (the `oidc-provider` package) on https://127.0.0.1 for tests and the demo:
// test users with passwords and groups, a login page a browser (or a test's HTTP client) can fill in, refresh
// tokens, RP-initiated logout, key rotation, and a switch that rewrites the next ID token (forged/unsigned/other
// issuer…) so the relying party's checks can be proven against what a hostile or broken IdP would send.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Simulator } from '../../sim/index.js';
import { generateSelfSignedCert } from '../../sim/tls.js';
import { simRequest } from './sim.js';

export interface IdpUser {
  /** Login name typed on the login page; also the subject (`sub`). */
  login: string;
  password: string;
  email: string;
  name: string;
  groups: string[];
  emailVerified?: boolean;
  /** Google-style hosted domain claim (`hd`). */
  hd?: string;
}

export interface IdpClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
}

/** Rewrites the ID token of the next token response (code or refresh grant); gets the original's claims. */
export type IdTokenTamper = (claims: Record<string, unknown>, idp: TestIdp) => Promise<string>;

export interface TestIdp {
  /** https://127.0.0.1:PORT */
  issuer: string;
  port: number;
  /** PEM of the serving certificate (self-signed): trust it with BUTLER_OIDC_CA_FILE. */
  caPem: string;
  caFile: string;
  users: Map<string, IdpUser>;
  /** Replace the signing key (the old one leaves the JWKS unless keepOld). Later tokens carry the new kid. */
  rotateKeys(opts?: { keepOld?: boolean }): Promise<void>;
  /** The current signing key (private JWK with kid), for tests that sign tokens as the IdP would. */
  signingKey(): JWK;
  addClient(client: IdpClient): void;
  /** The next ID token the token endpoint returns is replaced by what the function returns. */
  tamperNextIdToken(fn: IdTokenTamper | null): void;
  /** Stop answering (connections refused) and start again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Requests seen, by path (e.g. '/token'), for assertions such as "no second code exchange". */
  hits: Map<string, number>;
  stop(): Promise<void>;
}

export interface TestIdpOptions {
  users: IdpUser[];
  /** The serving certificate (self-signed, for 127.0.0.1); default: a new one. */
  tls?: { key: string; cert: string };
  clients?: IdpClient[];
  port?: number;
}

async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function loginPage(uid: string, clientId: string, error?: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Test IdP sign-in</title></head><body>
<h1>Test IdP</h1><p>Sign in to continue to ${escapeHtml(clientId)}</p>
${error ? `<p id="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label>Login <input name="login" id="login" autocomplete="username" autofocus></label>
<label>Password <input name="password" id="password" type="password" autocomplete="current-password"></label>
<button type="submit" id="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit" id="cancel">Cancel</button></form>
</body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** A self-signed serving certificate for an IdP on 127.0.0.1. */
export const generateIdpCert = () =>
  generateSelfSignedCert({ cn: '127.0.0.1', subjectAltName: 'IP:127.0.0.1,DNS:localhost', days: 30 });

export async function startTestIdp(opts: TestIdpOptions): Promise<TestIdp> {
  const tls = opts.tls ?? generateIdpCert();
  const dir = mkdtempSync(join(tmpdir(), 'butler-idp-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, tls.cert);
  const users = new Map(opts.users.map((u) => [u.login, u]));
  const clients: IdpClient[] = [...(opts.clients ?? [])];
  const cookieKeys = [randomBytes(32).toString('hex')];
  let keys: JWK[] = [await newSigningKey()];
  let tamper: IdTokenTamper | null = null;
  const hits = new Map<string, number>();
  let issuer = '';
  let provider: Provider;

  const sockets = new Set<Socket>();
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    void handle(req, res);
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  // oidc-provider's own in-memory store under another class: the same storage without its console warning that
  // this is not for production (printed in red on every demo start; this IdP is for tests and the demo only).
  const memoryAdapterPath = 'oidc-provider/lib/adapters/memory_adapter.js';
  const { default: MemoryAdapter } = (await import(memoryAdapterPath)) as {
    default: NonNullable<Configuration['adapter']> & (new (name: string) => object);
  };
  const QuietMemoryAdapter = class extends MemoryAdapter {};

  const configuration = (): Configuration => ({
    adapter: QuietMemoryAdapter as NonNullable<Configuration['adapter']>,
    clients: clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      post_logout_redirect_uris: c.postLogoutRedirectUris ?? [],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: keys as never[] },
    cookies: { keys: cookieKeys },
    scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified', 'hd'],
      profile: ['name'],
      groups: ['groups'],
    },
    // Scope claims go into the ID token itself (what Google, Okta and Keycloak do with groups and email).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        // The confirmation page has a button the browser test clicks.
        logoutSource: async (ctx: KoaContextWithOIDC, form: string) => {
          ctx.body = `<!doctype html><html><body><h1>Sign out of the test IdP?</h1>${form}
<button id="logout-yes" type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
</body></html>`;
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, id) => {
      const user = users.get(id);
      if (!user) return undefined;
      return {
        accountId: id,
        claims: async () => ({
          sub: id,
          email: user.email,
          email_verified: user.emailVerified ?? true,
          name: user.name,
          groups: [...user.groups],
          ...(user.hd ? { hd: user.hd } : {}),
        }),
      };
    },
    ttl: {
      RefreshToken: 3600,
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><p id="idp-error">${escapeHtml(String(out.error))}: ${escapeHtml(String(out.error_description ?? ''))}</p>`;
    },
  });

  const build = () => {
    const p = new Provider(issuer, configuration());
    p.use(async (ctx, next) => {
      await next();
      if (ctx.path === '/token' && ctx.status === 200 && tamper) {
        const body = ctx.body as { id_token?: string };
        if (body?.id_token) {
          const claims = JSON.parse(Buffer.from(body.id_token.split('.')[1]!, 'base64url').toString('utf8'));
          const fn = tamper;
          tamper = null;
          ctx.body = { ...body, id_token: await fn(claims, idp) };
        }
      }
    });
    return p;
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    try {
      const m = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(path);
      if (!m) return provider.callback()(req, res);
      const details = await provider.interactionDetails(req, res);
      if (m[2] === 'abort') {
        return await provider.interactionFinished(
          req,
          res,
          { error: 'access_denied', error_description: 'the user cancelled the sign-in' },
          { mergeWithLastSubmission: false },
        );
      }
      if (m[2] === 'login' && req.method === 'POST') {
        const form = await readForm(req);
        const user = users.get(form.get('login') ?? '');
        if (!user || user.password !== form.get('password')) {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          return res.end(loginPage(details.uid, String(details.params.client_id), 'Wrong login or password'));
        }
        return await provider.interactionFinished(req, res, { login: { accountId: user.login } });
      }
      if (details.prompt.name === 'consent') {
        // Test users consent to everything the client asks for.
        const grant = details.grantId
          ? (await provider.Grant.find(details.grantId))!
          : new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
        grant.addOIDCScope(String(details.params.scope ?? 'openid'));
        const grantId = await grant.save();
        return await provider.interactionFinished(
          req,
          res,
          { consent: { grantId } },
          { mergeWithLastSubmission: true },
        );
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(loginPage(details.uid, String(details.params.client_id)));
    } catch (err) {
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`interaction failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const closeServer = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });

  await listen(opts.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  issuer = `https://127.0.0.1:${port}`;
  provider = build();

  const idp: TestIdp = {
    issuer,
    port,
    caPem: tls.cert,
    caFile,
    users,
    hits,
    async rotateKeys(o = {}) {
      const next = await newSigningKey();
      keys = o.keepOld ? [next, ...keys] : [next];
      provider = build();
    },
    signingKey: () => keys[0]!,
    addClient(client) {
      clients.push(client);
      provider = build();
    },
    tamperNextIdToken(fn) {
      tamper = fn;
    },
    down: closeServer,
    up: () => listen(port),
    async stop() {
      if (server.listening) await closeServer();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return idp;
}

/** A client secret and an IdentityProvider object for Butler to sign in with this IdP. */
export function identityProviderObjects(
  name: string,
  o: { issuer: string; clientId: string; clientSecret: string; redirectUrl: string; extra?: Record<string, unknown> },
): object[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-oidc-secret`, namespace: 'butler-system' },
      type: 'Opaque',
      data: { 'client-secret': Buffer.from(o.clientSecret).toString('base64') },
    },
    {
      apiVersion: 'butler.butlerlabs.dev/v1alpha1',
      kind: 'IdentityProvider',
      metadata: { name },
      spec: {
        type: 'oidc',
        displayName: name.toUpperCase(),
        oidc: {
          issuerURL: o.issuer,
          clientID: o.clientId,
          clientSecretRef: { name: `${name}-oidc-secret`, namespace: 'butler-system', key: 'client-secret' },
          redirectURL: o.redirectUrl,
          scopes: ['openid', 'email', 'profile', 'groups'],
          ...o.extra,
        },
      },
    },
  ];
}

/** Creates the Secrets and IdentityProviders in the simulator. */
export async function createIdentityProviders(sim: Simulator, objects: object[]) {
  for (const o of objects) {
    const kind = (o as { kind: string }).kind;
    const path =
      kind === 'Secret'
        ? '/api/v1/namespaces/butler-system/secrets'
        : '/apis/butler.butlerlabs.dev/v1alpha1/identityproviders';
    await simRequest(sim, 'POST', path, o);
  }
}
