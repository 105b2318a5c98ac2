// /api/auth: login (internal users, then the bootstrap admin), logout, refresh, me, teams, refresh-permissions,
// the login page's provider list, invites and set-password. Throttling and audit lines as for every login.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientAddress } from '../auth/address.js';
import { createCredentialCheck } from '../auth/credentials.js';
import { clearSessionCookie, LOGIN_PATH, LOGOUT_PATH, setSessionCookie } from '../auth/plugin.js';
import { identityOf, type Identity } from '../auth/session.js';
import { createLoginThrottle } from '../auth/throttle.js';
import type { Config } from '../config/types.js';
import { badRequest, forbidden, HttpError, tooManyRequests, unauthorized } from '../http/errors.js';
import type { SsoAuthHooks } from '../sso/auth-hooks.js';
import { KubeApiError, toHttpError } from '../kube/errors.js';
import type { IdentityServices } from './services.js';
import { normaliseEmail } from './membership.js';
import { MAX_PASSWORD_LENGTH, passwordProblem } from './passwords.js';
import { BOOTSTRAP_EMAIL, BOOTSTRAP_NAME, BOOTSTRAP_SUBJECT, type Principal } from './principal.js';
import { phaseOf, type UserObject } from './user-store.js';
import { meView, teamNamespace, userListItem } from './views.js';
import type { TeamClusterViews } from './cluster-teams.js';

/** Login refusals, the texts the console shows: the same for a wrong name, a wrong password or no usable password. */
export const LOGIN_FAILED = 'Invalid email or password';
export const LOGIN_FIELDS_REQUIRED = 'Email/username and password are required';

const MAX_CREDENTIAL_LENGTH = 256;

export interface AuthRouteDeps {
  config: Config;
  identity: IdentityServices;
  clusterViews: TeamClusterViews;
  sso?: SsoAuthHooks;
}

function audit(request: FastifyRequest, event: string, user: string, address: string, result: string) {
  request.log.info({ audit: true, event, user: user.slice(0, 64), address, result }, `audit ${event}`);
}

export const internalIdentity = (u: UserObject): Identity => ({
  subject: `internal:${u.metadata.name}`,
  username: u.metadata.name ?? '',
  email: normaliseEmail(String(u.spec?.email ?? '')),
  name: (typeof u.spec?.displayName === 'string' && u.spec.displayName) || (u.metadata.name ?? ''),
  provider: 'internal',
  ...(typeof u.spec?.avatar === 'string' && u.spec.avatar ? { picture: u.spec.avatar } : {}),
  groups: [],
});

export function registerAuthRoutes(app: FastifyInstance, deps: AuthRouteDeps): void {
  const { config, identity } = deps;
  const { tokens, revocations } = app.butlerAuth;
  const checkBootstrap = createCredentialCheck(config.auth);
  const throttle = createLoginThrottle({
    maxFailures: config.auth.loginMaxFailures,
    failureWindowMs: config.auth.loginFailureWindowMs,
    ratePerMinute: config.auth.loginRateLimit,
  });
  const bootstrapIdentity: Identity = {
    subject: BOOTSTRAP_SUBJECT,
    username: config.auth.adminUsername,
    email: BOOTSTRAP_EMAIL,
    name: BOOTSTRAP_NAME,
    provider: 'legacy',
    groups: [],
  };
  const teamsOfEmail = (email: string) => identity.teams.membershipsOf(email, []).map((m) => m.name);

  /** Issues a session for an identity: cookie set, `{token, user, expiresAt}` for the answer. */
  async function startSession(request: FastifyRequest, reply: FastifyReply, id: Identity) {
    const resolved = identity.resolver.resolve(id);
    if (!resolved.ok) throw new HttpError(resolved.status, resolved.error);
    const issued = await tokens.issue(id);
    setSessionCookie(reply, request, config, issued.token);
    const exp = Math.floor(issued.expiresAt.getTime() / 1000);
    return { token: issued.token, user: meView(resolved.principal, { exp }), expiresAt: issued.expiresAt };
  }

  const loginAnswer = (s: Awaited<ReturnType<typeof startSession>>) => ({
    token: s.token,
    user: s.user,
    expiresAt: s.user.expiresAt,
  });

  type Outcome = { ok: Identity } | { refuse: HttpError; user?: UserObject };

  /** Internal users first, then the bootstrap admin from the environment (both checks always run). */
  async function checkLogin(identifier: string, password: string): Promise<Outcome> {
    const user = identity.users.find(identifier);
    const internal = user && user.spec?.authType !== 'sso' ? user : undefined;
    const locked = internal ? lockedNow(internal) : false;
    const [bootstrapOk, userOk] = await Promise.all([
      checkBootstrap(identifier, password),
      locked ? Promise.resolve(false) : identity.users.checkPassword(internal, password),
    ]);
    if (internal && userOk) {
      if (internal.spec?.disabled === true) return { refuse: forbidden('Account is disabled') };
      if (phaseOf(internal) === 'Pending')
        return { refuse: forbidden('Please complete registration using your invite link') };
      return { ok: internalIdentity(internal) };
    }
    if (bootstrapOk) return { ok: bootstrapIdentity };
    if (locked) return { refuse: forbidden('Account is temporarily locked due to too many failed attempts') };
    if (internal && phaseOf(internal) === 'Pending' && !internal.status?.passwordSecretRef)
      return { refuse: forbidden('Please complete registration using your invite link') };
    return { refuse: unauthorized(LOGIN_FAILED), ...(internal ? { user: internal } : {}) };
  }

  app.post(LOGIN_PATH, async (request, reply) => {
    const body = request.body as { username?: unknown; email?: unknown; password?: unknown } | undefined;
    const raw = typeof body?.username === 'string' && body.username ? body.username : body?.email;
    const password = body?.password;
    const address = clientAddress(request, config);
    const userForThrottle = typeof raw === 'string' ? raw.slice(0, MAX_CREDENTIAL_LENGTH) : '';
    const wait = throttle.check(userForThrottle, address);
    if (wait > 0) {
      audit(request, 'login.failure', userForThrottle, address, 'throttled');
      throw tooManyRequests(`too many login attempts; try again in ${wait} s`, wait);
    }
    if (
      typeof raw !== 'string' ||
      typeof password !== 'string' ||
      !raw ||
      !password ||
      raw.length > MAX_CREDENTIAL_LENGTH ||
      password.length > MAX_CREDENTIAL_LENGTH
    ) {
      throw badRequest(LOGIN_FIELDS_REQUIRED);
    }
    const outcome = await checkLogin(raw, password);
    if ('refuse' in outcome) {
      throttle.recordFailure(raw, address);
      audit(request, 'login.failure', raw, address, outcome.refuse.message);
      if (outcome.user) {
        const locked = await identity.users.recordLoginFailure(outcome.user).catch(() => false);
        if (locked) audit(request, 'user.locked', raw, address, 'locked');
      }
      identity.notifications.publish({
        title: 'Failed login',
        message: `Failed login for "${raw.slice(0, 64)}" from ${address}`,
        severity: 'warning',
        category: 'security',
      });
      throw outcome.refuse;
    }
    throttle.recordSuccess(raw, address);
    const user = identity.users.byName(outcome.ok.username);
    if (outcome.ok.subject !== BOOTSTRAP_SUBJECT && user)
      await identity.users.recordLoginSuccess(user).catch((err) => request.log.warn({ err }, 'login not recorded'));
    const started = await startSession(request, reply, outcome.ok);
    audit(request, 'login.success', raw, address, 'success');
    return loginAnswer(started);
  });

  app.post('/api/auth/login/legacy', async (request, reply) => {
    const body = request.body as { username?: unknown; password?: unknown } | undefined;
    const { username, password } = body ?? {};
    const address = clientAddress(request, config);
    const name = typeof username === 'string' ? username.slice(0, MAX_CREDENTIAL_LENGTH) : '';
    const wait = throttle.check(name, address);
    if (wait > 0) throw tooManyRequests(`too many login attempts; try again in ${wait} s`, wait);
    const ok =
      typeof password === 'string' &&
      password !== '' &&
      password.length <= MAX_CREDENTIAL_LENGTH &&
      (await checkBootstrap(name, password));
    if (!ok) {
      throttle.recordFailure(name, address);
      audit(request, 'login.failure', name, address, 'invalid credentials');
      throw unauthorized('Invalid credentials');
    }
    throttle.recordSuccess(name, address);
    audit(request, 'login.success', name, address, 'success');
    return loginAnswer(await startSession(request, reply, bootstrapIdentity));
  });

  const recordFailure = (err: unknown, what: 'logout' | 'refresh'): HttpError => {
    const mapped = toHttpError(err, {
      kind: 'ConfigMap',
      namespace: config.systemNamespace,
      verb: 'create',
      resource: 'configmaps',
    });
    const e = new HttpError(
      mapped.status === 504 ? 504 : 502,
      `${what} could not be recorded (${revocationFailureReason(err, mapped, config.systemNamespace)}); the session is still valid`,
    );
    Object.defineProperty(e, 'cause', { value: err, enumerable: false });
    return e;
  };

  /** Revokes the request's token, then issues a new one for the same identity. */
  async function reissue(request: FastifyRequest, reply: FastifyReply, fresh?: Identity) {
    const session = request.session!;
    const address = clientAddress(request, config);
    try {
      await revocations.revoke(session.jti, new Date(session.exp * 1000));
    } catch (err) {
      clearSessionCookie(reply, request, config);
      audit(request, 'refresh', session.username, address, 'failed');
      throw recordFailure(err, 'refresh');
    }
    const started = await startSession(request, reply, fresh ?? identityOf(session));
    audit(request, 'refresh', session.username, address, 'success');
    return started;
  }

  app.post(LOGOUT_PATH, async (request, reply) => {
    const session = request.session;
    clearSessionCookie(reply, request, config);
    // No usable session (the auth hook let it through): nothing to revoke, the cookie is cleared all the same.
    if (!session) return { status: 'logged_out', message: 'no session' };
    const logoutUrl = await deps.sso?.logout(request, reply);
    const address = clientAddress(request, config);
    try {
      await revocations.revoke(session.jti, new Date(session.exp * 1000));
    } catch (err) {
      audit(request, 'logout', session.username, address, 'failed');
      throw recordFailure(err, 'logout');
    }
    audit(request, 'logout', session.username, address, 'success');
    return { status: 'logged_out', message: 'logged out', ...(logoutUrl ? { logoutUrl } : {}) };
  });

  // Every session and kubectl token of this user issued until now, on every replica (the user's later logins work).
  app.post('/api/auth/logout-everywhere', async (request, reply) => {
    const session = request.session!;
    clearSessionCookie(reply, request, config);
    const address = clientAddress(request, config);
    try {
      await revocations.revokeUser(session.username);
    } catch (err) {
      audit(request, 'logout.everywhere', session.username, address, 'failed');
      throw recordFailure(err, 'logout');
    }
    audit(request, 'logout.everywhere', session.username, address, 'success');
    return { status: 'logged_out', message: 'logged out everywhere' };
  });

  app.post('/api/auth/refresh', async (request, reply) => ({
    status: 'refreshed',
    ...loginAnswer(await reissue(request, reply)),
  }));

  // SSO sessions first fetch the user's current groups from the IdP (refresh token), so IdP group changes count.
  app.post('/api/auth/refresh-permissions', async (request, reply) => {
    const session = request.session!;
    let fresh: Identity | undefined;
    try {
      fresh = deps.sso ? await deps.sso.refreshIdentity(request, reply, identityOf(session)) : undefined;
    } catch (err) {
      // The IdP ended this sign-in: so does Butler (nothing half-logged-in).
      if (err instanceof HttpError && err.status === 401) {
        clearSessionCookie(reply, request, config);
        await revocations.revoke(session.jti, new Date(session.exp * 1000)).catch(() => undefined);
      }
      throw err;
    }
    return (await reissue(request, reply, fresh)).user;
  });

  app.get('/api/auth/me', async (request) => meView(principalOf(request), request.session!));

  app.get('/api/auth/teams', async (request) => {
    const p = principalOf(request);
    const counts = deps.clusterViews.countByTeam();
    return {
      teams: p.teams.map((m) => {
        const team = identity.teams.get(m.name);
        const display = (team?.spec as { displayName?: unknown } | undefined)?.displayName;
        return {
          name: m.name,
          displayName: typeof display === 'string' && display ? display : m.name,
          namespace: team ? teamNamespace(team) : m.name,
          role: m.role,
          clusterCount: counts.get(m.name) ?? 0,
        };
      }),
      isPlatformAdmin: p.platformRole === 'admin',
      ...(p.platformRole ? { platformRole: p.platformRole } : {}),
    };
  });

  app.get('/api/auth/providers', async () => ({
    providers: deps.sso?.providers() ?? [],
    internalUsers: true,
    legacyAuth: true,
    passwordLoginUrl: LOGIN_PATH,
    // The login page's text for each single sign-on failure code (/login?error=<code>).
    ...(deps.sso ? { errorMessages: deps.sso.errorMessages } : {}),
  }));

  app.get('/api/auth/invite/:token', async (request) => {
    const { token } = request.params as { token: string };
    const user = identity.users.findByInvite(token);
    if (!user) return { valid: false };
    const displayName = user.spec?.displayName;
    return { valid: true, email: String(user.spec?.email ?? ''), ...(displayName ? { displayName } : {}) };
  });

  app.post('/api/auth/set-password', async (request, reply) => {
    const body = request.body as { token?: unknown; password?: unknown } | undefined;
    if (typeof body?.token !== 'string' || !body.token) throw badRequest('Token is required');
    if (typeof body.password !== 'string' || !body.password) throw badRequest('Password is required');
    const address = clientAddress(request, config);
    // Invite guessing counts against the address like failed logins do.
    const wait = throttle.check('\u0000invite', address);
    if (wait > 0) throw tooManyRequests(`too many attempts; try again in ${wait} s`, wait);
    const user = identity.users.findByInvite(body.token);
    if (!user) {
      throttle.recordFailure('\u0000invite', address);
      throw badRequest('Invalid or expired invite token');
    }
    if (body.password.length > MAX_PASSWORD_LENGTH || passwordProblem(body.password))
      throw badRequest(passwordProblem(body.password)!);
    let updated: UserObject;
    try {
      updated = await identity.users.setPassword(user, body.password);
    } catch (err) {
      throw toHttpError(err, { kind: 'User', name: user.metadata.name, verb: 'update', resource: 'users' });
    }
    audit(request, 'user.password-set', user.metadata.name ?? '', address, 'success');
    const item = userListItem(updated, teamsOfEmail);
    try {
      await startSession(request, reply, internalIdentity(updated));
    } catch (err) {
      request.log.warn({ err }, 'session after set-password failed');
      return { status: 'password_set', message: 'Password set successfully. Please log in.' };
    }
    return { status: 'success', user: item };
  });
}

/** The principal of an authenticated request (the auth hook has resolved it before any protected route). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized();
  return request.principal;
}

/** Why a revocation marker could not be stored, for the logout/refresh answer (no secrets, no Kubernetes internals). */
function revocationFailureReason(err: unknown, mapped: HttpError, systemNamespace: string): string {
  if (mapped.status === 404 && err instanceof KubeApiError && err.status?.details?.kind === 'namespaces')
    return `namespace "${systemNamespace}" does not exist`;
  // The mapped messages: "kubernetes API unavailable", "… timed out", "butler-server is not allowed to create
  // configmaps in namespace …", "… rejected butler-server's credentials", "… is throttling requests".
  return mapped.message;
}

function lockedNow(u: UserObject): boolean {
  if (u.status?.phase !== 'Locked') return false;
  const until = Date.parse(u.status.lockedUntil ?? '');
  return !Number.isFinite(until) || until > Date.now();
}
