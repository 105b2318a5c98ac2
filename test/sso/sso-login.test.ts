// Single sign-on through the real server: /api/auth/providers, /api/auth/login/sso → a real OpenID Provider →
// /api/auth/callback, the SSO User it creates, groups → teams and platform roles (at login and on
// refresh-permissions, with fresh groups from the IdP), logout at the IdP, and every refusal ending on the login page
// with a code and without a session. Also the IdentityProvider admin routes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Simulator } from '../../sim/index.js';
import { CookieBrowser, formAction } from '../helpers/cookie-browser.js';
import { createIdentityProviders, identityProviderObjects, startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.js';
import { simRequest, startButlerSimulator } from '../helpers/sim.js';

const team = (
  name: string,
  groups: { name: string; role: string }[],
  users: { name: string; role: string }[] = [],
) => ({
  apiVersion: 'butler.butlerlabs.dev/v1alpha1',
  kind: 'Team',
  metadata: { name },
  spec: { displayName: name, access: { users, groups } },
});

const internalUser = (name: string, email: string) => ({
  apiVersion: 'butler.butlerlabs.dev/v1alpha1',
  kind: 'User',
  metadata: { name },
  spec: { email, authType: 'internal', disabled: false },
});

describe('single sign-on through the server', () => {
  let sim: Simulator;
  let idp: TestIdp;
  let server: TestServer;
  const secret = randomBytes(16).toString('hex');

  before(async () => {
    idp = await startTestIdp({
      users: [
        {
          login: 'alice',
          password: 'alice-pw-1',
          email: 'alice@corp.example',
          name: 'Alice',
          groups: ['platform-admins'],
        },
        {
          login: 'oscar',
          password: 'oscar-pw-1',
          email: 'oscar@corp.example',
          name: 'Oscar',
          groups: ['CN=Payments-Ops,OU=Groups'],
        },
        {
          login: 'vera',
          password: 'vera-pw-1',
          email: 'vera@corp.example',
          name: 'Vera',
          groups: ['analytics@corp.example'],
        },
        { login: 'jane', password: 'jane-pw-1', email: 'jane@corp.example', name: 'Jane', groups: [] },
      ],
    });
    sim = await startButlerSimulator({
      seed: [
        team('payments', [{ name: 'payments-ops', role: 'operator' }]),
        team('analytics', [{ name: 'analytics', role: 'viewer' }]),
        internalUser('jane', 'jane@corp.example'),
      ],
    });
    server = await startTestServer({
      sim,
      env: { BUTLER_OIDC_CA_FILE: idp.caFile, BUTLER_OIDC_ALLOWED_CIDRS: '127.0.0.0/8' },
    });
    const redirectUrl = `${server.url}/api/auth/callback`;
    idp.addClient({
      clientId: 'butler',
      clientSecret: secret,
      redirectUris: [redirectUrl],
      postLogoutRedirectUris: [`${server.url}/login`],
    });
    const objects = [
      ...identityProviderObjects('corp', { issuer: idp.issuer, clientId: 'butler', clientSecret: secret, redirectUrl }),
      ...identityProviderObjects('backup', {
        issuer: idp.issuer,
        clientId: 'butler',
        clientSecret: secret,
        redirectUrl,
      }),
    ];
    const corp = objects[1] as { spec: Record<string, unknown> };
    corp.spec.platformRoleGroups = [{ name: 'platform-admins', role: 'admin' }];
    await createIdentityProviders(sim, objects);
    await waitFor(() => server.services.sso.registry.list().length === 2, 10_000, 'identity providers');
  });

  after(async () => {
    await server?.close();
    await idp?.stop();
    await sim?.stop();
  });

  /** The whole redirect flow as a browser; returns the browser and Butler's last answer (the callback's). */
  async function ssoLogin(login: string, password: string, start = '/api/auth/login/sso?provider=corp') {
    const browser = new CookieBrowser(idp.caPem);
    const page = await browser.follow(`${server.url}${start}`);
    assert.equal(page.status, 200, `expected the IdP login page, got ${page.status} ${page.location ?? ''}`);
    const posted = await browser.request('POST', formAction(page), new URLSearchParams({ login, password }).toString());
    const back = await browser.follow(posted.location!, (u) => !u.startsWith(idp.issuer) && !u.includes('/api/auth/'));
    return { browser, callback: back };
  }

  const json = async (browser: CookieBrowser, method: 'GET' | 'POST', path: string) => {
    const hop = await browser.request(
      method,
      `${server.url}${path}`,
      method === 'POST' ? '' : undefined,
      method === 'POST' ? { origin: server.url, 'content-type': 'application/json' } : {},
    );
    return { status: hop.status, body: hop.text ? JSON.parse(hop.text) : undefined, hop };
  };
  const host = () => new URL(server.url).host;

  it('lists every identity provider publicly, each with its own login URL', async () => {
    const res = await fetch(`${server.url}/api/auth/providers`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { providers: { name: string; loginUrl: string; buttonLabel: string }[] };
    assert.deepEqual(
      body.providers.map((p) => [p.name, p.buttonLabel, p.loginUrl]),
      [
        ['BACKUP', 'Sign in with BACKUP', '/api/auth/login/sso?provider=backup'],
        ['CORP', 'Sign in with CORP', '/api/auth/login/sso?provider=corp'],
      ],
    );
  });

  it('a team operator signs in: SSO user created, teams from groups, the requested page', async () => {
    const { browser, callback } = await ssoLogin(
      'oscar',
      'oscar-pw-1',
      '/api/auth/login/sso?provider=corp&return_to=%2Ft%2Fpayments',
    );
    assert.equal(callback.status, 302);
    assert.equal(callback.location, `${server.url}/t/payments`);
    assert.ok(browser.cookie(host(), 'butler_session'));
    const me = await json(browser, 'GET', '/api/auth/me');
    assert.equal(me.status, 200, me.hop.text);
    assert.equal(me.body.email, 'oscar@corp.example');
    assert.equal(me.body.provider, 'CORP');
    assert.deepEqual(me.body.teams, [{ name: 'payments', role: 'operator' }]);
    assert.equal(me.body.isPlatformAdmin, undefined);
    const user = (await simRequest(sim, 'GET', '/apis/butler.butlerlabs.dev/v1alpha1/users/oscar', undefined)) as {
      spec: Record<string, unknown>;
      status?: { lastSeenGroups?: string[] };
    };
    assert.equal(user.spec.authType, 'sso');
    assert.equal(user.spec.ssoProvider, 'corp');
    assert.equal(user.spec.ssoSubject, 'oscar');
    assert.deepEqual(user.status?.lastSeenGroups, ['CN=Payments-Ops,OU=Groups']);
  });

  it('platformRoleGroups make a platform admin', async () => {
    const { browser } = await ssoLogin('alice', 'alice-pw-1');
    const me = await json(browser, 'GET', '/api/auth/me');
    assert.equal(me.body.platformRole, 'admin');
    assert.equal(me.body.isPlatformAdmin, true);
  });

  it('group changes at the IdP show up after refresh-permissions', async () => {
    const { browser } = await ssoLogin('vera', 'vera-pw-1');
    assert.deepEqual((await json(browser, 'GET', '/api/auth/me')).body.teams, [{ name: 'analytics', role: 'viewer' }]);
    idp.users.get('vera')!.groups = ['analytics@corp.example', 'payments-ops'];
    try {
      const refreshed = await json(browser, 'POST', '/api/auth/refresh-permissions');
      assert.equal(refreshed.status, 200, refreshed.hop.text);
      assert.deepEqual(
        [...refreshed.body.teams].sort((a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name)),
        [
          { name: 'analytics', role: 'viewer' },
          { name: 'payments', role: 'operator' },
        ],
      );
      assert.equal((await json(browser, 'GET', '/api/auth/me')).body.teams.length, 2);
    } finally {
      idp.users.get('vera')!.groups = ['analytics@corp.example'];
    }
  });

  it('never takes over an internal account with the same email: login page, no session', async () => {
    const { browser, callback } = await ssoLogin('jane', 'jane-pw-1');
    assert.equal(callback.location, `${server.url}/login?error=account_conflict`);
    assert.equal(browser.cookie(host(), 'butler_session'), undefined);
    const user = (await simRequest(sim, 'GET', '/apis/butler.butlerlabs.dev/v1alpha1/users/jane', undefined)) as {
      spec: Record<string, unknown>;
    };
    assert.equal(user.spec.authType, 'internal');
    assert.equal(user.spec.ssoSubject, undefined);
  });

  it('disabled SSO users are refused at the callback', async () => {
    await ssoLogin('oscar', 'oscar-pw-1');
    await simRequest(
      sim,
      'PATCH',
      '/apis/butler.butlerlabs.dev/v1alpha1/users/oscar',
      { spec: { disabled: true } },
      'application/merge-patch+json',
    );
    try {
      await waitFor(() => server.services.identity.users.byName('oscar')?.spec?.disabled === true, 5000, 'disabled');
      const { browser, callback } = await ssoLogin('oscar', 'oscar-pw-1');
      assert.equal(callback.location, `${server.url}/login?error=account_disabled`);
      assert.equal(browser.cookie(host(), 'butler_session'), undefined);
    } finally {
      await simRequest(
        sim,
        'PATCH',
        '/apis/butler.butlerlabs.dev/v1alpha1/users/oscar',
        { spec: { disabled: false } },
        'application/merge-patch+json',
      );
    }
  });

  it('errors are redirects to the login page with a code, never JSON: bad state, unknown provider, IdP down', async () => {
    const b = new CookieBrowser(idp.caPem);
    const bad = await b.request('GET', `${server.url}/api/auth/callback?code=x&state=y`);
    assert.equal(bad.status, 302);
    assert.equal(bad.location, `${server.url}/login?error=invalid_state`);
    const unknown = await b.request('GET', `${server.url}/api/auth/login/sso?provider=nope`);
    assert.equal(unknown.location, `${server.url}/login?error=unknown_provider`);
    await idp.down();
    try {
      const down = await b.request('GET', `${server.url}/api/auth/login/sso?provider=backup`);
      assert.equal(down.status, 302);
      assert.equal(down.location, `${server.url}/login?error=idp_unavailable`);
    } finally {
      await idp.up();
    }
    assert.equal(b.cookie(host(), 'butler_session'), undefined);
  });

  it('logout ends the Butler session and hands back the IdP end-session URL', async () => {
    const { browser } = await ssoLogin('vera', 'vera-pw-1');
    const out = await json(browser, 'POST', '/api/auth/logout');
    assert.equal(out.status, 200, out.hop.text);
    assert.ok(String(out.body.logoutUrl).startsWith(`${idp.issuer}/session/end`), out.body.logoutUrl);
    assert.equal(browser.cookie(host(), 'butler_session'), undefined);
    assert.equal(browser.cookie(host(), 'butler_sso'), undefined);
    assert.equal((await json(browser, 'GET', '/api/auth/me')).status, 401);
  });

  describe('IdentityProvider admin routes', () => {
    let admin: { cookie: string };
    const call = async (method: string, path: string, body?: unknown, cookie = admin.cookie) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { cookie, origin: server.url, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    before(async () => {
      admin = await server.login();
    });

    it('create keeps the secret in a managed Secret and never returns it; read, update, validate, delete', async () => {
      const created = await call('POST', '/api/admin/identity-providers', {
        name: 'okta',
        displayName: 'Okta',
        issuerURL: idp.issuer,
        clientID: 'okta-client',
        clientSecret: 'very-secret-value',
        redirectURL: `${server.url}/api/auth/callback`,
        groupsClaim: 'roles',
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.spec.oidc.clientSecretRef.name, 'okta-oidc-secret');
      const list = await call('GET', '/api/admin/identity-providers');
      assert.ok(!JSON.stringify(list.body).includes('very-secret-value'));
      assert.ok(list.body.identityProviders.some((p: { metadata: { name: string } }) => p.metadata.name === 'okta'));
      const secretObj = (await simRequest(
        sim,
        'GET',
        '/api/v1/namespaces/butler-system/secrets/okta-oidc-secret',
        undefined,
      )) as {
        data: Record<string, string>;
        metadata: { labels: Record<string, string> };
      };
      assert.equal(Buffer.from(secretObj.data['client-secret']!, 'base64').toString(), 'very-secret-value');
      assert.equal(secretObj.metadata.labels['butler.butlerlabs.dev/identity-provider'], 'okta');
      assert.equal(
        (
          await call('POST', '/api/admin/identity-providers', {
            name: 'okta',
            issuerURL: idp.issuer,
            clientID: 'x',
            clientSecret: 'y',
            redirectURL: 'https://x/cb',
          })
        ).status,
        409,
      );
      assert.equal(
        (
          await call('POST', '/api/admin/identity-providers', {
            name: 'x',
            issuerURL: 'http://insecure',
            clientID: 'x',
            clientSecret: 'y',
            redirectURL: 'https://x/cb',
          })
        ).status,
        400,
      );
      const updated = await call('PUT', '/api/admin/identity-providers/okta', {
        displayName: 'Okta SSO',
        scopes: ['openid', 'email', 'groups'],
      });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.equal(updated.body.spec.displayName, 'Okta SSO');
      assert.deepEqual(updated.body.spec.oidc.scopes, ['openid', 'email', 'groups']);
      assert.equal(updated.body.spec.oidc.groupsClaim, 'roles');
      const valid = await call('POST', '/api/admin/identity-providers/okta/validate');
      assert.equal(valid.status, 200);
      assert.equal(valid.body.valid, true, valid.body.message);
      assert.equal(valid.body.tokenEndpoint, `${idp.issuer}/token`);
      const bad = await call('POST', '/api/admin/identity-providers/test', { issuerURL: 'https://127.0.0.1:1' });
      assert.equal(bad.body.valid, false);
      assert.match(bad.body.message, /^OIDC discovery failed: /);
      const deleted = await call('DELETE', '/api/admin/identity-providers/okta');
      assert.equal(deleted.body.status, 'deleted');
      await assert.rejects(
        simRequest(sim, 'GET', '/api/v1/namespaces/butler-system/secrets/okta-oidc-secret', undefined),
      );
      assert.equal((await call('GET', '/api/admin/identity-providers/okta')).status, 404);
    });

    it('an update the API server refuses changes neither the provider nor its client secret', async () => {
      const created = await call('POST', '/api/admin/identity-providers', {
        name: 'refused',
        issuerURL: idp.issuer,
        clientID: 'refused-client',
        clientSecret: 'first-secret',
        redirectURL: `${server.url}/api/auth/callback`,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const secretValue = async () => {
        const o = (await simRequest(
          sim,
          'GET',
          '/api/v1/namespaces/butler-system/secrets/refused-oidc-secret',
          undefined,
        )) as { data: Record<string, string> };
        return Buffer.from(o.data['client-secret']!, 'base64').toString();
      };
      // The administrator loses the right to update identity providers (the server's own rights are unchanged).
      const rolePath = '/apis/rbac.authorization.k8s.io/v1/clusterroles/butler-api-users';
      const role = (await simRequest(sim, 'GET', rolePath, undefined)) as {
        rules: { resources: string[]; verbs: string[] }[];
      };
      const reduced = structuredClone(role);
      for (const r of reduced.rules)
        if (r.resources.includes('identityproviders')) r.verbs = r.verbs.filter((v) => v !== 'update');
      await simRequest(sim, 'PUT', rolePath, reduced);
      try {
        const refused = await call('PUT', '/api/admin/identity-providers/refused', {
          clientID: 'second-client',
          clientSecret: 'second-secret',
        });
        assert.equal(refused.status, 403, JSON.stringify(refused.body));
        assert.equal(await secretValue(), 'first-secret', 'the refused update changed the client secret');
        const stored = await call('GET', '/api/admin/identity-providers/refused');
        assert.equal(stored.body.spec.oidc.clientID, 'refused-client');
      } finally {
        const current = (await simRequest(sim, 'GET', rolePath, undefined)) as { metadata: object };
        await simRequest(sim, 'PUT', rolePath, { ...role, metadata: current.metadata });
      }
      assert.equal((await call('DELETE', '/api/admin/identity-providers/refused')).status, 200);
    });

    it('only platform admins write; SSO operators are refused', async () => {
      const { browser } = await ssoLogin('oscar', 'oscar-pw-1');
      const cookie = `butler_session=${browser.cookie(host(), 'butler_session')}`;
      assert.equal((await call('GET', '/api/admin/identity-providers', undefined, cookie)).status, 403);
      assert.equal(
        (await call('POST', '/api/admin/identity-providers/test', { issuerURL: idp.issuer }, cookie)).status,
        403,
      );
    });

    it('bad input answers the messages of the hand checks (the schemas leave these fields loose)', async () => {
      const bad = async (method: string, path: string, body: unknown) => {
        const a = await call(method, path, body);
        return [a.status, a.body.error];
      };
      const idps = '/api/admin/identity-providers';
      assert.deepEqual(await bad('POST', idps, ['x']), [400, 'request body must be a JSON object']);
      assert.deepEqual(await bad('POST', idps, { name: 5 }), [400, 'name must be a string']);
      assert.deepEqual(await bad('POST', idps, { name: 'a', issuerURL: '' }), [400, 'issuerURL is required']);
      assert.deepEqual(await bad('PUT', `${idps}/nope`, 'x'), [400, 'request body must be a JSON object']);
      assert.deepEqual(await bad('PUT', `${idps}/nope`, { scopes: 'openid' }), [
        400,
        'scopes must be a list of scope names',
      ]);
      assert.deepEqual(await bad('POST', `${idps}/test`, {}), [400, 'issuerURL is required']);
      assert.deepEqual(await bad('POST', `${idps}/test`, { issuerURL: 7 }), [400, 'issuerURL must be a string']);
    });
  });
});
