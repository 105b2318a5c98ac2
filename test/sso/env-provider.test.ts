// The identity provider of the BUTLER_OIDC_* settings, against a real OpenID Provider: listed on /api/auth/providers
// next to an IdentityProvider object, a whole sign-in through it (SSO user, teams from the groups, the platform role
// from the IdentityProvider objects' platformRoleGroups), the hosted-domain restriction, and the client secret read
// from BUTLER_OIDC_CLIENT_SECRET_FILE never showing in a log line.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Simulator } from '../../sim/index.js';
import { SSO_ERROR_MESSAGES } from '../../src/sso/claims.js';
import { CookieBrowser, formAction } from '../helpers/cookie-browser.js';
import { createIdentityProviders, identityProviderObjects, startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import { assertNoSecretsLogged, startTestServer, waitFor, type TestServer } from '../helpers/server.js';
import { simRequest, startButlerSimulator } from '../helpers/sim.js';

/** A free loopback port: the redirect URL the settings name must be known before the server starts. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe('single sign-on configured by BUTLER_OIDC_* settings', () => {
  let sim: Simulator;
  let idp: TestIdp;
  let server: TestServer;
  let dir: string;
  const secret = randomBytes(16).toString('hex');

  before(async () => {
    idp = await startTestIdp({
      users: [
        {
          login: 'olga',
          password: 'olga-pw-1',
          email: 'olga@corp.example',
          name: 'Olga',
          groups: ['payments-ops'],
          hd: 'corp.example',
        },
        {
          login: 'adam',
          password: 'adam-pw-1',
          email: 'adam@corp.example',
          name: 'Adam',
          groups: ['platform-admins'],
          hd: 'corp.example',
        },
        { login: 'pete', password: 'pete-pw-1', email: 'pete@corp.example', name: 'Pete', groups: ['payments-ops'] },
      ],
    });
    sim = await startButlerSimulator({
      seed: [
        {
          apiVersion: 'butler.butlerlabs.dev/v1alpha1',
          kind: 'Team',
          metadata: { name: 'payments' },
          spec: {
            displayName: 'Payments',
            access: { users: [], groups: [{ name: 'payments-ops', role: 'operator' }] },
          },
        },
      ],
    });
    dir = mkdtempSync(join(tmpdir(), 'butler-oidc-env-'));
    writeFileSync(join(dir, 'client-secret'), `${secret}\n`);
    const port = await freePort();
    const redirectUrl = `http://127.0.0.1:${port}/api/auth/callback`;
    idp.addClient({ clientId: 'butler-env', clientSecret: secret, redirectUris: [redirectUrl] });
    server = await startTestServer({
      sim,
      args: ['--addr', `127.0.0.1:${port}`],
      env: {
        BUTLER_OIDC_CA_FILE: idp.caFile,
        BUTLER_OIDC_ALLOWED_CIDRS: '127.0.0.0/8',
        BUTLER_OIDC_ISSUER_URL: idp.issuer,
        BUTLER_OIDC_CLIENT_ID: 'butler-env',
        BUTLER_OIDC_CLIENT_SECRET_FILE: join(dir, 'client-secret'),
        BUTLER_OIDC_REDIRECT_URL: redirectUrl,
        BUTLER_OIDC_SCOPES: 'openid,email profile groups',
        BUTLER_OIDC_HOSTED_DOMAIN: 'corp.example',
        BUTLER_OIDC_DISPLAY_NAME: 'Corp Google',
      },
    });
    // An IdentityProvider object beside it; its platformRoleGroups count for the settings' provider too.
    const objects = identityProviderObjects('other', {
      issuer: idp.issuer,
      clientId: 'unused',
      clientSecret: 'unused-secret',
      redirectUrl,
    });
    (objects[1] as { spec: Record<string, unknown> }).spec.platformRoleGroups = [
      { name: 'platform-admins', role: 'admin' },
    ];
    await createIdentityProviders(sim, objects);
    await waitFor(() => server.services.sso.registry.list().length === 2, 10_000, 'identity providers');
  });

  after(async () => {
    await server?.close();
    await idp?.stop();
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function ssoLogin(login: string, password: string) {
    const browser = new CookieBrowser(idp.caPem);
    const page = await browser.follow(`${server.url}/api/auth/login/sso?provider=BUTLER_OIDC`);
    assert.equal(page.status, 200, `expected the IdP login page, got ${page.status} ${page.location ?? ''}`);
    const posted = await browser.request('POST', formAction(page), new URLSearchParams({ login, password }).toString());
    const back = await browser.follow(posted.location!, (u) => !u.startsWith(idp.issuer) && !u.includes('/api/auth/'));
    return { browser, callback: back };
  }

  const me = async (browser: CookieBrowser) => {
    const hop = await browser.request('GET', `${server.url}/api/auth/me`);
    return { status: hop.status, body: hop.text ? JSON.parse(hop.text) : undefined };
  };

  it('is listed on /api/auth/providers next to the IdentityProvider object', async () => {
    const res = await fetch(`${server.url}/api/auth/providers`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      providers: { name: string; type: string; loginUrl: string }[];
      errorMessages: Record<string, string>;
    };
    // The login page's messages for /login?error=<code> come from here (the server's one table).
    assert.deepEqual(body.errorMessages, SSO_ERROR_MESSAGES);
    assert.deepEqual(
      body.providers.map((p) => [p.name, p.type, p.loginUrl]),
      [
        ['Corp Google', 'oidc', '/api/auth/login/sso?provider=BUTLER_OIDC'],
        ['OTHER', 'oidc', '/api/auth/login/sso?provider=other'],
      ],
    );
  });

  it('sends the browser to the IdP with the configured scopes, redirect URL and hosted domain', async () => {
    const res = await fetch(`${server.url}/api/auth/login/sso?provider=BUTLER_OIDC`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    const to = new URL(res.headers.get('location')!);
    assert.equal(to.origin, idp.issuer);
    assert.equal(to.searchParams.get('client_id'), 'butler-env');
    assert.equal(to.searchParams.get('scope'), 'openid email profile groups');
    assert.equal(to.searchParams.get('redirect_uri'), `${server.url}/api/auth/callback`);
    assert.equal(to.searchParams.get('hd'), 'corp.example');
  });

  it('signs a user in: SSO user recorded with the provider, teams from the groups', async () => {
    const { browser, callback } = await ssoLogin('olga', 'olga-pw-1');
    assert.equal(callback.status, 302);
    assert.equal(callback.location, `${server.url}/`);
    const r = await me(browser);
    assert.equal(r.status, 200);
    assert.equal(r.body.email, 'olga@corp.example');
    assert.equal(r.body.provider, 'Corp Google');
    assert.deepEqual(r.body.teams, [{ name: 'payments', role: 'operator' }]);
    assert.equal(r.body.platformRole, undefined);
    const user = (await simRequest(sim, 'GET', '/apis/butler.butlerlabs.dev/v1alpha1/users/olga', undefined)) as {
      spec: Record<string, unknown>;
    };
    assert.equal(user.spec.authType, 'sso');
    assert.equal(user.spec.ssoProvider, 'BUTLER_OIDC');
    assert.equal(user.spec.ssoSubject, 'olga');
  });

  it("takes platform roles from the IdentityProvider objects' platformRoleGroups", async () => {
    const { browser } = await ssoLogin('adam', 'adam-pw-1');
    const r = await me(browser);
    assert.equal(r.body.platformRole, 'admin');
  });

  it('refuses an account without the hosted domain: login page with the code, no session', async () => {
    const { browser, callback } = await ssoLogin('pete', 'pete-pw-1');
    assert.equal(callback.location, `${server.url}/login?error=domain_not_allowed`);
    assert.equal(browser.cookie(new URL(server.url).host, 'butler_session'), undefined);
    assert.equal((await me(browser)).status, 401);
  });

  it('never logs the client secret', () => {
    assertNoSecretsLogged(server.logs, [secret]);
  });
});
