import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadOidcEnvProvider } from './oidc-env.js';

const full = {
  BUTLER_OIDC_ISSUER_URL: 'https://accounts.google.com',
  BUTLER_OIDC_CLIENT_ID: 'client-1',
  BUTLER_OIDC_CLIENT_SECRET: 'shh-secret',
  BUTLER_OIDC_REDIRECT_URL: 'https://butler.example.com/api/auth/callback',
};

test('off unless enabled or an issuer and a client id are given; BUTLER_OIDC_ENABLED=false wins', () => {
  assert.equal(loadOidcEnvProvider({}), undefined);
  assert.equal(loadOidcEnvProvider({ BUTLER_OIDC_CLIENT_SECRET: 'x' }), undefined);
  assert.equal(loadOidcEnvProvider({ ...full, BUTLER_OIDC_ENABLED: 'false' }), undefined);
  assert.equal(loadOidcEnvProvider(full)?.clientId, 'client-1');
});

test('defaults: scopes openid email profile, claims groups and email, display name SSO', () => {
  assert.deepEqual(loadOidcEnvProvider(full), {
    displayName: 'SSO',
    issuer: 'https://accounts.google.com',
    clientId: 'client-1',
    clientSecret: 'shh-secret',
    redirectUrl: 'https://butler.example.com/api/auth/callback',
    scopes: ['openid', 'email', 'profile'],
    groupsClaim: 'groups',
    emailClaim: 'email',
  });
});

test('scopes (comma or space list, openid added), hosted domain, claim names', () => {
  const p = loadOidcEnvProvider({
    ...full,
    BUTLER_OIDC_SCOPES: 'email, profile groups',
    BUTLER_OIDC_HOSTED_DOMAIN: 'Corp.Example',
    BUTLER_OIDC_GROUPS_CLAIM: 'roles',
    BUTLER_OIDC_EMAIL_CLAIM: 'upn',
  })!;
  assert.deepEqual(p.scopes, ['openid', 'email', 'profile', 'groups']);
  assert.equal(p.hostedDomain, 'corp.example');
  assert.equal(p.groupsClaim, 'roles');
  assert.equal(p.emailClaim, 'upn');
});

test('refuses to start when turned on without every required part, naming each', () => {
  assert.throws(
    () => loadOidcEnvProvider({ BUTLER_OIDC_ENABLED: 'true', BUTLER_OIDC_ISSUER_URL: full.BUTLER_OIDC_ISSUER_URL }),
    /BUTLER_OIDC_CLIENT_ID, BUTLER_OIDC_CLIENT_SECRET \(or BUTLER_OIDC_CLIENT_SECRET_FILE\), BUTLER_OIDC_REDIRECT_URL are not set/,
  );
  const { BUTLER_OIDC_REDIRECT_URL: _r, ...noRedirect } = full;
  assert.throws(() => loadOidcEnvProvider(noRedirect), /BUTLER_OIDC_REDIRECT_URL is not set/);
  assert.throws(
    () => loadOidcEnvProvider({ ...full, BUTLER_OIDC_ISSUER_URL: 'http://idp.example.com' }),
    /BUTLER_OIDC_ISSUER_URL: .* must be an https:\/\/ URL/,
  );
  assert.throws(
    () => loadOidcEnvProvider({ ...full, BUTLER_OIDC_REDIRECT_URL: '/api/auth/callback' }),
    /BUTLER_OIDC_REDIRECT_URL: .* is not a URL/,
  );
  assert.throws(() => loadOidcEnvProvider({ ...full, BUTLER_OIDC_ENABLED: 'maybe' }), /BUTLER_OIDC_ENABLED/);
  assert.throws(() => loadOidcEnvProvider({ ...full, BUTLER_OIDC_GROUPS_CLAIM: 'a b' }), /BUTLER_OIDC_GROUPS_CLAIM/);
});

test('the client secret may come from BUTLER_OIDC_CLIENT_SECRET_FILE (not both)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oidc-env-'));
  try {
    const file = join(dir, 'secret');
    writeFileSync(file, 'from-file\n');
    const { BUTLER_OIDC_CLIENT_SECRET: _s, ...noSecret } = full;
    assert.equal(loadOidcEnvProvider({ ...noSecret, BUTLER_OIDC_CLIENT_SECRET_FILE: file })?.clientSecret, 'from-file');
    assert.throws(
      () => loadOidcEnvProvider({ ...full, BUTLER_OIDC_CLIENT_SECRET_FILE: file }),
      /set either BUTLER_OIDC_CLIENT_SECRET or BUTLER_OIDC_CLIENT_SECRET_FILE/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
