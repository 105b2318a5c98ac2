// /api/auth: login (internal users, then the bootstrap admin), logout, refresh, me, teams, refresh-permissions,
// the login page's provider list, invites and set-password. Throttling and audit lines as for every login.
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientAddress } from '../auth/address.js';
import { createCredentialCheck } from '../auth/credentials.js';
import { clearSessionCookie, LOGIN_PATH, LOGOUT_PATH, setSessionCookie } from '../auth/plugin.js';
import { identityOf, type Identity } from '../auth/session.js';
import { createLoginThrottle } from '../auth/throttle.js';
import type { Config } from '../config/types.js';
import type { App } from '../http/app-type.js';
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
import { MeViewSchema, SessionAnswerSchema, UserListItemSchema } from './view-schemas.js';

/** Login refusals, the texts the console shows: the same for a wrong name, a wrong password or no usable password. */
export const LOGIN_FAILED = 'Invalid email or password';
export const LOGIN_FIELDS_REQUIRED = 'Email/username and password are required';

const MAX_CREDENTIAL_LENGTH = 256;
const LOGIN_INPUT_ERROR = LOGIN_FIELDS_REQUIRED;

const credential = (description: string) =>
  Type.String({ minLength: 1, maxLength: MAX_CREDENTIAL_LENGTH, description });

/** Any malformed login answers the one message LOGIN_INPUT_ERROR (username or email must be given; see the handler). */
const LoginBody = Type.Object(
  {
    username: Type.Optional(credential('User name or email')),
    email: Type.Optional(credential('Used when username is absent')),
    password: credential('Password'),
  },
  { title: 'LoginRequest', bodyError: LOGIN_INPUT_ERROR },
);

/** The bootstrap admin login of old clients: wrong, empty or too long credentials answer 401 like a wrong password. */
const LegacyLoginBody = Type.Object(
  { username: Type.Optional(Type.String()), password: Type.Optional(Type.String()) },
  { title: 'LegacyLoginRequest' },
);

const SetPasswordBody = Type.Object(
  {
    token: Type.String({ minLength: 1, fullMessage: 'Token is required' }),
    password: Type.String({ minLength: 1, fullMessage: 'Password is required' }),
  },
  { title: 'SetPasswordRequest' },
);

const InviteParams = Type.Object({ token: Type.String({ description: 'The token of the invite link' }) });

const LogoutAnswer = Type.Object({
  status: Type.Literal('logged_out'),
  message: Type.String(),
  logoutUrl: Type.Optional(Type.String({ description: "The identity provider's end-session URL (SSO sessions)" })),
});

const MyTeamsAnswer = Type.Object({
  teams: Type.Array(
    Type.Object({
      name: Type.String(),
      displayName: Type.String(),
      namespace: Type.String(),
      role: Type.String(),
      clusterCount: Type.Integer(),
    }),
  ),
  isPlatformAdmin: Type.Boolean(),
  platformRole: Type.Optional(Type.String()),
});

const LoginProvidersAnswer = Type.Object({
  providers: Type.Array(
    Type.Object({
      name: Type.String(),
      type: Type.Literal('oidc'),
      loginUrl: Type.String(),
      buttonLabel: Type.String(),
    }),
  ),
  internalUsers: Type.Boolean(),
  legacyAuth: Type.Boolean(),
  passwordLoginUrl: Type.String(),
  errorMessages: Type.Optional(
    Type.Record(Type.String(), Type.String(), { description: 'The login page text of each SSO error code' }),
  ),
});

const InviteAnswer = Type.Object({
  valid: Type.Boolean(),
  email: Type.Optional(Type.String()),
  displayName: Type.Optional(Type.String()),
});

const SetPasswordAnswer = Type.Object({
  status: Type.Union([Type.Literal('success'), Type.Literal('password_set')]),
  message: Type.Optional(Type.String({ description: 'password_set: the session could not start; log in' })),
  user: Type.Optional(UserListItemSchema),
});

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

export function registerAuthRoutes(app: App, deps: AuthRouteDeps): void {
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

  /** Throttled clients are refused before their input is even looked at (as before any validation). */
  async function refuseThrottledLogin(request: FastifyRequest) {
    // The raw body, not yet validated: only a string name counts for the throttle key.
    const body = request.body as { username?: unknown; email?: unknown } | undefined;
    const raw = typeof body?.username === 'string' && body.username ? body.username : body?.email;
    const address = clientAddress(request, config);
    const userForThrottle = typeof raw === 'string' ? raw.slice(0, MAX_CREDENTIAL_LENGTH) : '';
    const wait = throttle.check(userForThrottle, address);
    if (wait > 0) {
      audit(request, 'login.failure', userForThrottle, address, 'throttled');
      throw tooManyRequests(`too many login attempts; try again in ${wait} s`, wait);
    }
  }

  app.post(
    LOGIN_PATH,
    {
      schema: {
        summary: 'Log in with a password (internal users, then the bootstrap admin); sets the butler_session cookie',
        body: LoginBody,
        response: { 200: SessionAnswerSchema },
      },
      preValidation: refuseThrottledLogin,
    },
    async (request, reply) => {
      const { password } = request.body;
      const raw = request.body.username ?? request.body.email;
      if (!raw) throw badRequest(LOGIN_INPUT_ERROR);
      const address = clientAddress(request, config);
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
    },
  );

  app.post(
    '/api/auth/login/legacy',
    {
      schema: {
        summary: 'Log in as the bootstrap admin (old clients)',
        body: LegacyLoginBody,
        response: { 200: SessionAnswerSchema },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
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
    },
  );

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

  app.post(
    LOGOUT_PATH,
    { schema: { summary: 'Log out: revokes the session', response: { 200: LogoutAnswer } } },
    async (request, reply) => {
      const session = request.session;
      clearSessionCookie(reply, request, config);
      // No usable session (the auth hook let it through): nothing to revoke, the cookie is cleared all the same.
      if (!session) return { status: 'logged_out' as const, message: 'no session' };
      const logoutUrl = await deps.sso?.logout(request, reply);
      const address = clientAddress(request, config);
      try {
        await revocations.revoke(session.jti, new Date(session.exp * 1000));
      } catch (err) {
        audit(request, 'logout', session.username, address, 'failed');
        throw recordFailure(err, 'logout');
      }
      audit(request, 'logout', session.username, address, 'success');
      return { status: 'logged_out' as const, message: 'logged out', ...(logoutUrl ? { logoutUrl } : {}) };
    },
  );

  // Every session and kubectl token of this user issued until now, on every replica (the user's later logins work).
  app.post(
    '/api/auth/logout-everywhere',
    {
      schema: {
        summary: 'Revokes every session and kubectl token of the user issued until now',
        response: { 200: LogoutAnswer },
      },
    },
    async (request, reply) => {
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
      return { status: 'logged_out' as const, message: 'logged out everywhere' };
    },
  );

  app.post(
    '/api/auth/refresh',
    {
      schema: {
        summary: 'A new token for the session (the old one is revoked)',
        response: { 200: Type.Composite([Type.Object({ status: Type.Literal('refreshed') }), SessionAnswerSchema]) },
      },
    },
    async (request, reply) => ({
      status: 'refreshed' as const,
      ...loginAnswer(await reissue(request, reply)),
    }),
  );

  // SSO sessions first fetch the user's current groups from the IdP (refresh token), so IdP group changes count.
  app.post(
    '/api/auth/refresh-permissions',
    {
      schema: {
        summary: "A new token with the user's current teams and roles (SSO: groups fetched from the IdP)",
        response: { 200: MeViewSchema },
      },
    },
    async (request, reply) => {
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
    },
  );

  app.get(
    '/api/auth/me',
    { schema: { summary: 'The user of the session', response: { 200: MeViewSchema } } },
    async (request) => meView(principalOf(request), request.session!),
  );

  app.get(
    '/api/auth/teams',
    {
      schema: { summary: "The session user's teams, with roles and cluster counts", response: { 200: MyTeamsAnswer } },
    },
    async (request) => {
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
    },
  );

  app.get(
    '/api/auth/providers',
    { schema: { summary: 'The ways to log in (public)', response: { 200: LoginProvidersAnswer } } },
    async () => ({
      providers: deps.sso?.providers() ?? [],
      internalUsers: true,
      legacyAuth: true,
      passwordLoginUrl: LOGIN_PATH,
      // The login page's text for each single sign-on failure code (/login?error=<code>).
      ...(deps.sso ? { errorMessages: deps.sso.errorMessages } : {}),
    }),
  );

  app.get(
    '/api/auth/invite/:token',
    {
      schema: {
        summary: 'Whether an invite link is valid (public)',
        params: InviteParams,
        response: { 200: InviteAnswer },
      },
    },
    async (request) => {
      const { token } = request.params;
      const user = identity.users.findByInvite(token);
      if (!user) return { valid: false };
      const displayName = user.spec?.displayName;
      return { valid: true, email: String(user.spec?.email ?? ''), ...(displayName ? { displayName } : {}) };
    },
  );

  app.post(
    '/api/auth/set-password',
    {
      schema: {
        summary: 'Set the first password with an invite token (public); starts a session',
        body: SetPasswordBody,
        response: { 200: SetPasswordAnswer },
      },
    },
    async (request, reply) => {
      const { body } = request;
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
        return { status: 'password_set' as const, message: 'Password set successfully. Please log in.' };
      }
      return { status: 'success' as const, user: item };
    },
  );
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
