import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SsoIdentity } from './claims.js';
import { decideSsoUser, type SsoUserLike } from './sso-users.js';

const id: SsoIdentity = {
  idp: 'corp',
  provider: 'Corp SSO',
  subject: 'sub-123',
  email: 'jane.doe@corp.example',
  name: 'Jane Doe',
  groups: [],
};
const user = (name: string, spec: SsoUserLike['spec']): SsoUserLike => ({ metadata: { name }, spec });

describe('SSO user matching', () => {
  it('creates a new SSO user named after the local part, recording provider and subject', () => {
    const d = decideSsoUser([], id);
    assert.equal(d.kind, 'create');
    assert.ok(d.kind === 'create');
    assert.equal(d.name, 'jane-doe');
    assert.deepEqual(
      {
        authType: d.spec.authType,
        ssoProvider: d.spec.ssoProvider,
        ssoSubject: d.spec.ssoSubject,
        email: d.spec.email,
      },
      { authType: 'sso', ssoProvider: 'corp', ssoSubject: 'sub-123', email: 'jane.doe@corp.example' },
    );
  });

  it('never takes over an internal account with the same local part: a new name is chosen', () => {
    const d = decideSsoUser([user('jane-doe', { email: 'jane.doe@other.example', authType: 'internal' })], id);
    assert.ok(d.kind === 'create');
    assert.equal(d.name, 'jane-doe-2');
  });

  it('refuses when an internal account already has the email', () => {
    const d = decideSsoUser([user('jd', { email: 'Jane.Doe@corp.example', authType: 'internal' })], id);
    assert.equal(d.kind, 'refuse');
    assert.ok(d.kind === 'refuse');
    assert.equal(d.code, 'account_conflict');
  });

  it('matches by subject even after the email changed at the IdP, and updates the profile', () => {
    const u = user('jane', { email: 'old@corp.example', authType: 'sso', ssoProvider: 'corp', ssoSubject: 'sub-123' });
    const d = decideSsoUser([u], id);
    assert.ok(d.kind === 'existing');
    assert.equal(d.user, u);
    assert.equal(d.specPatch.email, 'jane.doe@corp.example');
  });

  it('does not match another provider with the same subject', () => {
    const u = user('jane', { email: 'x@corp.example', authType: 'sso', ssoProvider: 'other', ssoSubject: 'sub-123' });
    assert.equal(decideSsoUser([u], id).kind, 'create');
  });

  it('refuses disabled users', () => {
    const u = user('jane', {
      email: id.email,
      authType: 'sso',
      ssoProvider: 'corp',
      ssoSubject: 'sub-123',
      disabled: true,
    });
    const d = decideSsoUser([u], id);
    assert.ok(d.kind === 'refuse');
    assert.equal(d.code, 'account_disabled');
  });

  it('binds a prepared SSO user (no subject yet) with that email', () => {
    const u = user('jane', { email: id.email, authType: 'sso' });
    const d = decideSsoUser([u], id);
    assert.ok(d.kind === 'existing');
    assert.equal(d.specPatch.ssoSubject, 'sub-123');
  });

  it('refuses an SSO user bound to another subject that has the email', () => {
    const u = user('jane', { email: id.email, authType: 'sso', ssoProvider: 'corp', ssoSubject: 'someone-else' });
    const d = decideSsoUser([u], id);
    assert.ok(d.kind === 'refuse');
    assert.equal(d.code, 'account_conflict');
  });
});
