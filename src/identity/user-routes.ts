// /api/users and /api/admin/users: the user list, invites, disable/enable, delete.
// Request fields are declared but left loose (Type.Unknown): the hand checks below give the API's long-standing
// messages, which a typed schema would word differently.
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/types.js';
import type { App } from '../http/app-type.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import { isKubeStatus, toHttpError } from '../kube/errors.js';
import { isEmailAddress, MAX_EMAIL_LENGTH, normaliseEmail } from './membership.js';
import { isDnsLabel, usernameFromEmail } from './paths.js';
import type { IdentityServices } from './services.js';
import type { UserObject } from './user-store.js';
import { UserListItemSchema } from './view-schemas.js';
import { userListItem } from './views.js';

const MAX_DISPLAY_NAME = 256;

const InviteUserBody = Type.Object(
  {
    email: Type.Optional(
      Type.Unknown({ description: `Required: email address of at most ${MAX_EMAIL_LENGTH} characters` }),
    ),
    displayName: Type.Optional(Type.Unknown({ description: `String of at most ${MAX_DISPLAY_NAME} characters` })),
    username: Type.Optional(
      Type.Unknown({ description: 'DNS-1123 label; derived from the email address when absent or empty' }),
    ),
  },
  { title: 'InviteUserRequest' },
);

const UsernameParams = Type.Object({ username: Type.String({ description: 'The user name' }) });

const InviteUrlAnswer = Type.Object({ inviteUrl: Type.String({ description: 'The link that sets the password' }) });

const statusAnswer = <S extends string>(status: S) => Type.Object({ status: Type.Literal(status) });

export function registerUserRoutes(app: App, deps: { config: Config; identity: IdentityServices }): void {
  const { identity, config } = deps;
  const { users } = identity;
  const teamsOfEmail = (email: string) => identity.teams.membershipsOf(email, []).map((m) => m.name);
  const item = (u: UserObject) => userListItem(u, teamsOfEmail);

  const inviteUrl = (request: FastifyRequest, token: string) => {
    const base = config.identity.baseUrl ?? `${request.protocol}://${request.host}`;
    return `${base}/invite/${token}`;
  };

  const userOr404 = (name: string): UserObject => {
    const u = isDnsLabel(name) ? users.byName(name) : undefined;
    if (!u) throw notFound('User not found');
    return u;
  };

  const kubeError = (err: unknown, verb: string, name?: string) =>
    isKubeStatus(err, 404)
      ? notFound('User not found')
      : toHttpError(err, { kind: 'User', ...(name ? { name } : {}), verb, resource: 'users' });

  const securityNotice = (title: string, message: string, name: string) =>
    identity.notifications.publish({
      title,
      message,
      severity: 'info',
      category: 'security',
      resourceRef: { kind: 'User', name },
    });

  app.get(
    '/api/users',
    { schema: { summary: 'All users', response: { 200: Type.Object({ users: Type.Array(UserListItemSchema) }) } } },
    async () => ({ users: users.list().map(item) }),
  );

  app.post(
    '/api/admin/users',
    {
      schema: {
        summary: 'Invite an internal user: creates the user and answers its invite link',
        body: InviteUserBody,
        response: { 201: Type.Object({ user: UserListItemSchema, inviteUrl: Type.String() }) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (typeof body.email !== 'string' || !body.email.trim()) throw badRequest('Email is required');
      const email = normaliseEmail(body.email);
      if (!isEmailAddress(email)) throw badRequest('Email is not a valid email address');
      if (
        body.displayName !== undefined &&
        (typeof body.displayName !== 'string' || body.displayName.length > MAX_DISPLAY_NAME)
      )
        throw badRequest(`displayName must be a string of at most ${MAX_DISPLAY_NAME} characters`);
      let name: string;
      if (body.username !== undefined && body.username !== '') {
        if (typeof body.username !== 'string' || !isDnsLabel(body.username))
          throw badRequest(
            'username must be a DNS-1123 label (lowercase letters, digits and -, at most 63 characters)',
          );
        name = body.username;
      } else {
        name = usernameFromEmail(email);
      }
      if (users.byName(name) || users.byEmail(email)) throw conflict('User already exists');
      let created: { user: UserObject; token: string };
      try {
        created = await users.createInvited({
          name,
          email,
          ...(typeof body.displayName === 'string' && body.displayName ? { displayName: body.displayName } : {}),
        });
      } catch (err) {
        if (isKubeStatus(err, 409)) throw conflict('User already exists');
        throw toHttpError(err, { kind: 'User', name, verb: 'create', resource: 'users' });
      }
      securityNotice('User invited', `User ${name} (${email}) was invited`, name);
      return reply.code(201).send({ user: item(created.user), inviteUrl: inviteUrl(request, created.token) });
    },
  );

  app.get(
    '/api/admin/users/:username',
    { schema: { summary: 'One user', params: UsernameParams, response: { 200: UserListItemSchema } } },
    async (request) => item(userOr404(request.params.username)),
  );

  app.delete(
    '/api/admin/users/:username',
    {
      schema: { summary: 'Delete a user', params: UsernameParams, response: { 200: statusAnswer('deleted') } },
    },
    async (request) => {
      const name = userOr404(request.params.username).metadata.name!;
      try {
        await users.delete(name);
      } catch (err) {
        throw kubeError(err, 'delete', name);
      }
      securityNotice('User deleted', `User ${name} was deleted`, name);
      return { status: 'deleted' as const };
    },
  );

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.post(
      `/api/admin/users/:username/${action}`,
      {
        schema: {
          summary: disabled ? 'Disable a user' : 'Enable a disabled user',
          params: UsernameParams,
          response: { 200: statusAnswer(`${action}d`) },
        },
      },
      async (request) => {
        const name = userOr404(request.params.username).metadata.name!;
        try {
          await users.setDisabled(name, disabled);
        } catch (err) {
          throw kubeError(err, 'patch', name);
        }
        securityNotice(disabled ? 'User disabled' : 'User enabled', `User ${name} was ${action}d`, name);
        return { status: `${action}d` as const };
      },
    );
  }

  app.post(
    '/api/admin/users/:username/invite',
    {
      schema: {
        summary: 'A new invite link for a user (the previous one stops working)',
        params: UsernameParams,
        response: { 200: InviteUrlAnswer },
      },
    },
    async (request) => {
      const name = userOr404(request.params.username).metadata.name!;
      try {
        const { token } = await users.regenerateInvite(name);
        return { inviteUrl: inviteUrl(request, token) };
      } catch (err) {
        throw kubeError(err, 'patch', name);
      }
    },
  );
}
