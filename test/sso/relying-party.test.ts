// The relying party against a real OpenID Provider (oidc-provider on https://127.0.0.1) and IdentityProvider objects
// in the simulator: the code flow with PKCE, and every way a sign-in must fail: forged, unsigned, other-issuer,
// other-audience, expired and wrong-nonce ID tokens, replayed states and codes, a cancelled consent, an IdP that is
// down, a rotated signing key, hosted-domain and unverified-email checks.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, importJWK, SignJWT } from 'jose';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { createKubeClient, type KubeClient } from '../../src/kube/client.js';
import { loadManagementKubeConfig } from '../../src/kube/connection.js';
import { createSsoFlow, type SsoFlow } from '../../src/sso/flow.js';
import { createIdpSessions } from '../../src/sso/idp-session.js';
import { createSsoRegistry, type SsoRegistry } from '../../src/sso/registry.js';
import { createSealer } from '../../src/sso/sealed-cookie.js';
import type { Simulator } from '../../sim/index.js';
import { CookieBrowser, formAction } from '../helpers/cookie-browser.js';
import { createIdentityProviders, identityProviderObjects, startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import { waitFor } from '../helpers/server.js';
import { startButlerSimulator } from '../helpers/sim.js';

const RP = 'http://127.0.0.1:1';
const REDIRECT = `${RP}/api/auth/callback`;
const CLIENT = { clientId: 'butler', clientSecret: randomBytes(16).toString('hex'), redirectUris: [REDIRECT] };

describe('OIDC relying party against a real OpenID Provider', () => {
  let sim: Simulator;
  let idp: TestIdp;
  let config: Config;
  let kube: KubeClient;
  let registry: SsoRegistry;
  let flow: SsoFlow;
  const sealer = createSealer(randomBytes(32).toString('hex'), 'butler-sso-flow');

  before(async () => {
    idp = await startTestIdp({
      users: [
        {
          login: 'ann',
          password: 'ann-pw-123',
          email: 'Ann@Corp.Example',
          name: 'Ann',
          groups: ['ops'],
          hd: 'corp.example',
        },
        { login: 'bob', password: 'bob-pw-123', email: 'bob@other.example', name: 'Bob', groups: [] },
        {
          login: 'eve',
          password: 'eve-pw-123',
          email: 'eve@corp.example',
          name: 'Eve',
          groups: [],
          emailVerified: false,
        },
      ],
      clients: [CLIENT, { ...CLIENT, clientId: 'other-client' }],
    });
    sim = await startButlerSimulator();
    await createIdentityProviders(sim, [
      ...identityProviderObjects('corp', { issuer: idp.issuer, ...CLIENT, redirectUrl: REDIRECT }),
      ...identityProviderObjects('corp-hd', {
        issuer: idp.issuer,
        ...CLIENT,
        redirectUrl: REDIRECT,
        extra: { hostedDomain: 'corp.example' },
      }),
    ]);
    config = loadConfig(['--kubeconfig', sim.kubeconfigPath], {
      BUTLER_JWT_SECRET: randomBytes(36).toString('base64'),
      BUTLER_ADMIN_PASSWORD: 'unused-password-123',
      BUTLER_OIDC_CA_FILE: idp.caFile,
      BUTLER_OIDC_ALLOWED_CIDRS: '127.0.0.0/8',
      BUTLER_OIDC_TIMEOUT: '3s',
    });
    kube = createKubeClient(loadManagementKubeConfig(config.kube), { timeoutMs: 5000, name: 'test' });
    registry = createSsoRegistry(config, { kube });
    registry.start();
    await waitFor(() => registry.synced && registry.list().length === 2, 10_000, 'identity providers');
    flow = createSsoFlow({ registry, sealer, loginTimeoutMs: 600_000 });
  });

  after(async () => {
    registry?.stop();
    kube?.close();
    await idp?.stop();
    await sim?.stop();
  });

  /** Start, sign in at the IdP as a browser would, and stop at the redirect back to Butler. */
  async function signIn(
    login: string,
    password: string,
    o: { provider?: string; returnTo?: string; f?: SsoFlow } = {},
  ) {
    const started = await (o.f ?? flow).start(o.provider ?? 'corp', o.returnTo);
    assert.ok(started.ok, JSON.stringify(started));
    const browser = new CookieBrowser(idp.caPem);
    const page = await browser.follow(started.redirect);
    assert.equal(page.status, 200, page.text.slice(0, 300));
    const posted = await browser.request('POST', formAction(page), new URLSearchParams({ login, password }).toString());
    assert.ok(posted.location, posted.text.slice(0, 300));
    const back = await browser.follow(posted.location!, (u) => u.startsWith(RP));
    assert.ok(back.location?.startsWith(REDIRECT), `expected a redirect back to Butler, got ${back.location}`);
    return { query: new URL(back.location!).searchParams, cookie: started.flowCookie, browser, page };
  }

  const realKey = async () => importJWK(idp.signingKey(), 'RS256');
  type SigningKey = Parameters<SignJWT['sign']>[0];
  async function resign(claims: Record<string, unknown>, key?: SigningKey) {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: idp.signingKey().kid ?? '' })
      .sign(key ?? (await realKey()));
  }
  const now = () => Math.floor(Date.now() / 1000);

  it('signs in with code + PKCE: verified identity with email (lowercased), groups and the requested path', async () => {
    const { query, cookie } = await signIn('ann', 'ann-pw-123', { returnTo: '/t/ops/clusters' });
    const r = await flow.callback(query, cookie);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.identity.subject, 'ann');
    assert.equal(r.identity.email, 'ann@corp.example');
    assert.deepEqual(r.identity.groups, ['ops']);
    assert.equal(r.identity.idp, 'corp');
    assert.equal(r.returnTo, '/t/ops/clusters');
    assert.ok(r.refreshToken, 'a refresh token for refresh-permissions');
  });

  it('return_to to another origin becomes /', async () => {
    for (const target of ['https://evil.example/', '//evil.example', '/\\evil.example']) {
      const { query, cookie } = await signIn('ann', 'ann-pw-123', { returnTo: target });
      const r = await flow.callback(query, cookie);
      assert.ok(r.ok);
      assert.equal(r.returnTo, '/', target);
    }
  });

  it('a replayed state is refused, and a replayed code is refused by the IdP on another replica', async () => {
    const { query, cookie } = await signIn('ann', 'ann-pw-123');
    assert.ok((await flow.callback(query, cookie)).ok);
    const again = await flow.callback(query, cookie);
    assert.ok(!again.ok);
    assert.equal(again.code, 'invalid_state');
    // Another replica has not seen the state; the IdP refuses the used code.
    const otherReplica = createSsoFlow({ registry, sealer, loginTimeoutMs: 600_000 });
    const replay = await otherReplica.callback(query, cookie);
    assert.ok(!replay.ok);
    assert.equal(replay.code, 'token_exchange_failed');
  });

  it('a callback without this browser’s sign-in cookie, with another one, or after it expired is invalid_state', async () => {
    const { query } = await signIn('ann', 'ann-pw-123');
    const other = await flow.start('corp', '/');
    assert.ok(other.ok);
    for (const c of [undefined, other.flowCookie, 'garbage', `${other.flowCookie.slice(0, -4)}AAAA`]) {
      const r = await flow.callback(query, c);
      assert.ok(!r.ok);
      assert.equal(r.code, 'invalid_state');
    }
    const shortFlow = createSsoFlow({ registry, sealer, loginTimeoutMs: 1000 });
    const late = await signIn('ann', 'ann-pw-123', { f: shortFlow });
    await new Promise((r) => setTimeout(r, 2500));
    const r = await shortFlow.callback(late.query, late.cookie);
    assert.ok(!r.ok);
    assert.equal(r.code, 'invalid_state');
  });

  it('cancelling at the IdP is access_denied', async () => {
    const started = await flow.start('corp', '/');
    assert.ok(started.ok);
    const browser = new CookieBrowser(idp.caPem);
    const page = await browser.follow(started.redirect);
    const cancelled = await browser.request('POST', formAction(page, 1), '');
    const back = await browser.follow(cancelled.location!, (u) => u.startsWith(RP));
    const r = await flow.callback(new URL(back.location!).searchParams, started.flowCookie);
    assert.ok(!r.ok);
    assert.equal(r.code, 'access_denied');
  });

  describe('ID tokens that must be refused', () => {
    // Made before any sign-in: an RSA key generated inside the IdP's token response could outlast the 3 s IdP
    // timeout on a loaded machine, and the refusal would then be for the wrong reason.
    let foreignKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
    before(async () => {
      foreignKey = (await generateKeyPair('RS256')).privateKey;
    });
    const cases: [string, (claims: Record<string, unknown>) => Promise<string>][] = [
      ['signed by another key under the IdP key id', async (c) => resign(c, foreignKey)],
      [
        'unsigned (alg none)',
        async (c) => {
          const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
          return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(c)}.`;
        },
      ],
      ['from another issuer', async (c) => resign({ ...c, iss: 'https://evil.example' })],
      ['for another audience', async (c) => resign({ ...c, aud: 'other-client' })],
      ['expired', async (c) => resign({ ...c, iat: now() - 7200, exp: now() - 3600 })],
      ['with another nonce', async (c) => resign({ ...c, nonce: 'not-the-one' })],
      ['with a reserved subject', async (c) => resign({ ...c, sub: 'legacy:admin' })],
    ];
    for (const [what, forge] of cases) {
      it(what, async () => {
        const { query, cookie } = await signIn('ann', 'ann-pw-123');
        idp.tamperNextIdToken(async (claims) => forge(claims));
        const r = await flow.callback(query, cookie);
        assert.ok(!r.ok, `accepted an ID token ${what}`);
        assert.equal(r.code, 'invalid_id_token', r.detail);
      });
    }

    it('(control) the same claims re-signed with the IdP key are accepted', async () => {
      const { query, cookie } = await signIn('ann', 'ann-pw-123');
      idp.tamperNextIdToken(async (claims) => resign(claims));
      const r = await flow.callback(query, cookie);
      assert.ok(r.ok, JSON.stringify(r));
    });
  });

  it('hosted domain: only accounts whose hd claim matches; unverified emails are refused', async () => {
    const ok = await signIn('ann', 'ann-pw-123', { provider: 'corp-hd' });
    assert.ok((await flow.callback(ok.query, ok.cookie)).ok);
    const outsider = await signIn('bob', 'bob-pw-123', { provider: 'corp-hd' });
    const r = await flow.callback(outsider.query, outsider.cookie);
    assert.ok(!r.ok);
    assert.equal(r.code, 'domain_not_allowed');
    const eve = await signIn('eve', 'eve-pw-123');
    const e = await flow.callback(eve.query, eve.cookie);
    assert.ok(!e.ok);
    assert.equal(e.code, 'email_not_verified');
  });

  it('an unknown provider name is refused at the start', async () => {
    const r = await flow.start('nope', '/');
    assert.ok(!r.ok);
    assert.equal(r.code, 'unknown_provider');
  });

  it('IdP key rotation during a session: refresh and new sign-ins verify with the new key at once', async () => {
    const sessions = createIdpSessions({ registry, sealer });
    const { query, cookie } = await signIn('ann', 'ann-pw-123');
    const first = await flow.callback(query, cookie);
    assert.ok(first.ok);
    const oldKid = idp.signingKey().kid;
    await idp.rotateKeys();
    assert.notEqual(idp.signingKey().kid, oldKid);
    idp.users.get('ann')!.groups = ['ops', 'auditors'];
    const refreshed = await sessions.refresh({ idp: 'corp', subject: 'ann', refreshToken: first.refreshToken! });
    assert.ok(refreshed.ok, JSON.stringify(refreshed));
    assert.deepEqual(refreshed.identity.groups, ['ops', 'auditors']);
    const again = await signIn('ann', 'ann-pw-123');
    assert.ok((await flow.callback(again.query, again.cookie)).ok);
    idp.users.get('ann')!.groups = ['ops'];
  });

  it('an IdP that is down: the start and the code exchange answer idp_unavailable', async () => {
    const { query, cookie } = await signIn('ann', 'ann-pw-123');
    const fresh = createSsoRegistry(config, { kube });
    fresh.start();
    await waitFor(() => fresh.synced, 10_000, 'registry');
    const freshFlow = createSsoFlow({ registry: fresh, sealer, loginTimeoutMs: 600_000 });
    await idp.down();
    try {
      const started = await freshFlow.start('corp', '/');
      assert.ok(!started.ok);
      assert.equal(started.code, 'idp_unavailable');
      const r = await flow.callback(query, cookie);
      assert.ok(!r.ok);
      assert.equal(r.code, 'idp_unavailable', r.detail);
    } finally {
      await idp.up();
      fresh.stop();
    }
  });
});
