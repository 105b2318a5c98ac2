// /api/teams and /api/admin/teams: team CRUD, members, group syncs, environments. Team writes read the Team, change
// it, and update it (409 conflicts are retried); they are sent as the requesting user (kubeFor).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../http/app-type.js';
import { badRequest, conflict, forbidden, HttpError, notFound } from '../http/errors.js';
import type { KubeObject } from '../kube/cache.js';
import type { KubeClient } from '../kube/client.js';
import { isKubeStatus, toHttpError } from '../kube/errors.js';
import { principalOf } from './auth-routes.js';
import type { TeamClusterViews } from './cluster-teams.js';
import { clusterTeam } from './cluster-teams.js';
import {
  directUsers,
  groupEntries,
  groupLookupSet,
  groupMatches,
  groupRoleIn,
  isEmailAddress,
  normaliseEmail,
  normaliseGroup,
  type TeamLike,
} from './membership.js';
import { isDnsLabel, LABEL_MANAGED_BY, LABEL_TEAM } from './paths.js';
import { isTeamRole, TEAM_ROLES, teamRoleRank, type TeamRole } from './roles.js';
import type { IdentityServices } from './services.js';
import { OpenObject, TeamViewSchema } from './view-schemas.js';
import { teamView } from './views.js';
import type { ResourceCache } from '../kube/cache.js';
import type { Notification } from './notifications.js';
import { BUTLER_API_VERSION, paths } from '../kube/butler.js';

export interface TeamRouteDeps {
  identity: IdentityServices;
  clusters: ResourceCache<KubeObject>;
  clusterViews: TeamClusterViews;
  /** The client a user's write goes through (impersonating the user where supported). */
  kubeFor(request: FastifyRequest): KubeClient;
}

const MAX_TEXT = 1024;
const WRITE_VISIBLE_MS = 3000;
const ENV_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

type TeamSpec = {
  displayName?: string;
  description?: string;
  access?: {
    users?: { name: string; role?: string }[];
    groups?: { name: string; role?: string; identityProvider?: string }[];
  };
  environments?: { name: string; [k: string]: unknown }[];
  resourceLimits?: unknown;
  clusterDefaults?: unknown;
  [k: string]: unknown;
};

/** An HttpError whose answer repeats the error text as `message` (see PATCH /api/teams/:name). */
class HttpErrorWithMessage extends HttpError {
  override toJSON() {
    return { ...super.toJSON(), message: this.message };
  }
}

const invalidRole = () => badRequest('Invalid role. Must be admin, operator, or viewer');

function roleFrom(value: unknown, required: boolean): TeamRole {
  if (value === undefined || value === '') {
    if (required) throw badRequest('Role is required');
    return 'viewer';
  }
  if (!isTeamRole(value)) throw invalidRole();
  return value;
}

function optionalText(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || v.length > MAX_TEXT)
    throw badRequest(`${field} must be a string of at most ${MAX_TEXT} characters`);
  return v;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function optionalObject(body: Record<string, unknown>, field: string): Record<string, unknown> | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw badRequest(`${field} must be an object`);
  return v;
}

// Request schemas: the fields are checked by the handlers (their messages are part of the API), so the schemas only
// type and describe them.
const described = (description: string) => Type.Optional(Type.Unknown({ description }));
const TeamParams = Type.Object({ name: Type.String({ description: 'Team name' }) });
const MemberParams = Type.Object({ name: Type.String(), email: Type.String({ description: "The member's email" }) });
const GroupParams = Type.Object({ name: Type.String(), group: Type.String({ description: 'Group name' }) });
const EnvironmentParams = Type.Object({ name: Type.String(), env: Type.String({ description: 'Environment name' }) });
const GroupQuery = Type.Object({
  idp: described('Only the group sync of this identity provider (a string; otherwise ignored)'),
});
const roleField = described('admin, operator or viewer');
const textField = described(`String of at most ${MAX_TEXT} characters; empty counts as absent`);
const CreateTeamBody = Type.Object(
  { name: described('DNS-1123 label (required)'), displayName: textField, description: textField },
  { title: 'CreateTeamRequest' },
);
const UpdateTeamBody = Type.Object(
  {
    displayName: textField,
    description: textField,
    resourceLimits: described('Object (platform admins only); PUT only'),
    clusterDefaults: described('Object; PUT only'),
  },
  { title: 'UpdateTeamRequest' },
);
const AddMemberBody = Type.Object(
  { email: described('Email (required)'), role: described('admin, operator or viewer (default viewer)') },
  { title: 'AddTeamMemberRequest' },
);
const RoleBody = Type.Object({ role: roleField }, { title: 'TeamRoleRequest' });
const AddGroupBody = Type.Object(
  {
    name: described(`Group name (required, at most ${MAX_TEXT} characters)`),
    role: described('admin, operator or viewer (default viewer)'),
    identityProvider: textField,
  },
  { title: 'AddTeamGroupRequest' },
);
const EnvironmentBody = Type.Object(
  { name: described('Letters, digits, -, _ and ., at most 63 characters (PUT: the name of the path or absent)') },
  { title: 'TeamEnvironmentRequest', additionalProperties: true },
);

// Response schemas.
const RoleSchema = Type.Union(TEAM_ROLES.map((r) => Type.Literal(r)));
const TeamListAnswer = Type.Object({ teams: Type.Array(TeamViewSchema) });
const StatusAnswer = (status: string) => Type.Object({ status: Type.Literal(status) });
const TeamClustersAnswer = Type.Object({ clusters: Type.Array(OpenObject()) });
const GroupSyncSchema = Type.Object(
  { name: Type.String(), role: RoleSchema, identityProvider: Type.Optional(Type.String()) },
  { title: 'TeamGroupSync' },
);
const TeamGroupsAnswer = Type.Object({ groups: Type.Array(GroupSyncSchema) });
const TeamMemberSchema = Type.Object(
  {
    email: Type.String(),
    name: Type.Optional(Type.String()),
    directRole: Type.Optional(RoleSchema),
    role: RoleSchema,
    source: Type.Union([Type.Literal('direct'), Type.Literal('group'), Type.Literal('elevated')]),
    groupName: Type.Optional(Type.String()),
    groupRole: Type.Optional(RoleSchema),
    groupIdentifier: Type.Optional(Type.String()),
    canRemove: Type.Boolean(),
    removeNote: Type.Optional(Type.String()),
  },
  { title: 'TeamMember' },
);
const TeamMembersAnswer = Type.Object({
  members: Type.Array(TeamMemberSchema),
  groups: Type.Array(Type.Object({ name: Type.String(), role: RoleSchema })),
  groupMemberCounts: Type.Record(Type.String(), Type.Integer()),
});
const MemberAddedAnswer = Type.Object({
  status: Type.Literal('added'),
  email: Type.String(),
  role: RoleSchema,
  elevated: Type.Optional(Type.Literal(true)),
  groupName: Type.Optional(Type.String()),
  groupRole: Type.Optional(RoleSchema),
});
const MemberUpdatedAnswer = Type.Object({ status: Type.Literal('updated'), email: Type.String(), role: RoleSchema });
const MemberRemovedAnswer = Type.Object({
  status: Type.Literal('removed'),
  email: Type.String(),
  retainsAccess: Type.Optional(Type.Literal(true)),
  groupName: Type.Optional(Type.String()),
  groupRole: Type.Optional(RoleSchema),
});
const GroupAddedAnswer = Type.Object({
  status: Type.Literal('added'),
  name: Type.String(),
  role: RoleSchema,
  identityProvider: Type.String(),
});
const GroupUpdatedAnswer = Type.Object({ status: Type.Literal('updated'), name: Type.String(), role: RoleSchema });
const GroupRemovedAnswer = Type.Object({ status: Type.Literal('removed'), name: Type.String() });
const EnvironmentSchema = Type.Object(
  { name: Type.String() },
  { title: 'TeamEnvironment', additionalProperties: true },
);

export function registerTeamRoutes(app: App, deps: TeamRouteDeps): void {
  const { identity, clusters } = deps;
  const teams = identity.teams;

  const teamOr404 = (name: string): KubeObject => {
    const t = isDnsLabel(name) ? teams.get(name) : undefined;
    if (!t) throw notFound('Team not found');
    return t;
  };
  const clusterCount = (name: string) => deps.clusterViews.countByTeam().get(name) ?? 0;
  const view = (t: KubeObject) => teamView(t, clusterCount(t.metadata.name ?? ''));

  async function visible(obj: KubeObject | undefined): Promise<void> {
    const rv = obj?.metadata?.resourceVersion;
    if (rv && teams.cache.synced) await teams.cache.waitForResourceVersion(rv, WRITE_VISIBLE_MS);
  }

  const kubeError = (err: unknown, verb: string, name: string) =>
    isKubeStatus(err, 404)
      ? notFound('Team not found')
      : toHttpError(err, { kind: 'Team', name, verb, resource: 'teams' });

  /** Read-modify-write of one Team's spec; conflicts re-read and re-apply, three attempts in all. */
  async function updateTeam(
    request: FastifyRequest,
    name: string,
    change: (spec: TeamSpec) => void,
  ): Promise<KubeObject> {
    const kube = deps.kubeFor(request);
    for (let attempt = 1; ; attempt++) {
      let current: KubeObject;
      try {
        current = await kube.request<KubeObject>({ method: 'GET', path: paths.team(name) });
      } catch (err) {
        throw kubeError(err, 'get', name);
      }
      const spec = structuredClone((current.spec ?? {}) as TeamSpec);
      change(spec);
      try {
        const updated = await kube.request<KubeObject>({
          method: 'PUT',
          path: paths.team(name),
          body: { ...current, spec },
        });
        await visible(updated);
        return updated;
      } catch (err) {
        if (attempt < 3 && isKubeStatus(err, 409)) continue;
        throw kubeError(err, 'update', name);
      }
    }
  }

  const teamNotice = (team: string, title: string, message: string) =>
    identity.notifications.publish({
      title,
      message,
      severity: 'info',
      category: 'team',
      resourceRef: { kind: 'Team', name: team, team },
    } satisfies Omit<Notification, 'id' | 'timestamp'>);

  // ---- teams

  app.get('/api/teams', { schema: { summary: 'All teams', response: { 200: TeamListAnswer } } }, async () => ({
    teams: teams.list().map(view),
  }));

  for (const path of ['/api/teams', '/api/admin/teams'])
    app.post(
      path,
      { schema: { summary: 'Create a team', body: CreateTeamBody, response: { 201: TeamViewSchema } } },
      async (request, reply) => {
        const body = request.body;
        const name = body.name;
        if (typeof name !== 'string' || !name) throw badRequest('Team name is required');
        if (!isDnsLabel(name))
          throw badRequest(
            'Team name must be a DNS-1123 label (lowercase letters, digits and -, at most 63 characters)',
          );
        const displayName = optionalText(body, 'displayName');
        const description = optionalText(body, 'description');
        if (teams.get(name)) throw conflict('Team already exists');
        let created: KubeObject;
        try {
          created = await deps.kubeFor(request).request<KubeObject>({
            method: 'POST',
            path: paths.teams(),
            body: {
              apiVersion: BUTLER_API_VERSION,
              kind: 'Team',
              metadata: { name, labels: { [LABEL_MANAGED_BY]: 'butler' } },
              spec: {
                ...(displayName ? { displayName } : {}),
                ...(description ? { description } : {}),
                access: { users: [], groups: [] },
              },
            },
          });
        } catch (err) {
          if (isKubeStatus(err, 409)) throw conflict('Team already exists');
          throw toHttpError(err, { kind: 'Team', name, verb: 'create', resource: 'teams' });
        }
        await visible(created);
        teamNotice(name, 'Team created', `Team ${name} was created`);
        return reply.code(201).send(view(teams.get(name) ?? created));
      },
    );

  app.get(
    '/api/teams/:name',
    { schema: { summary: 'One team', params: TeamParams, response: { 200: TeamViewSchema } } },
    async (request) => view(teamOr404(request.params.name)),
  );

  const updateTeamFields = async (
    request: FastifyRequest,
    teamName: string,
    body: Record<string, unknown>,
    onlyText: boolean,
  ) => {
    const name = teamOr404(teamName).metadata.name!;
    const displayName = optionalText(body, 'displayName');
    const description = optionalText(body, 'description');
    const resourceLimits = onlyText ? undefined : optionalObject(body, 'resourceLimits');
    const clusterDefaults = onlyText ? undefined : optionalObject(body, 'clusterDefaults');
    if (resourceLimits !== undefined && principalOf(request).platformRole !== 'admin')
      throw forbidden('Platform admin required to change resourceLimits');
    const updated = await updateTeam(request, name, (spec) => {
      if (displayName !== undefined) spec.displayName = displayName;
      if (description !== undefined) spec.description = description;
      if (resourceLimits !== undefined) spec.resourceLimits = resourceLimits;
      if (clusterDefaults !== undefined) spec.clusterDefaults = clusterDefaults;
    });
    return view(updated);
  };
  app.put(
    '/api/teams/:name',
    {
      schema: {
        summary: "Change a team's display name, description, resource limits or cluster defaults",
        params: TeamParams,
        body: UpdateTeamBody,
        response: { 200: TeamViewSchema },
      },
    },
    async (request) => updateTeamFields(request, request.params.name, request.body, false),
  );
  // The console's team settings page reads `message` on failure: this route sends it beside `error`.
  app.patch(
    '/api/teams/:name',
    {
      schema: {
        summary: "Change a team's display name or description (failures also carry `message`)",
        params: TeamParams,
        body: UpdateTeamBody,
        response: { 200: TeamViewSchema },
      },
    },
    async (request) => {
      try {
        return await updateTeamFields(request, request.params.name, request.body, true);
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        throw new HttpErrorWithMessage(err.status, err.message, err.details);
      }
    },
  );

  async function waitGone(name: string): Promise<void> {
    const deadline = Date.now() + WRITE_VISIBLE_MS;
    while (teams.get(name) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  for (const path of ['/api/teams/:name', '/api/admin/teams/:name'])
    app.delete(
      path,
      { schema: { summary: 'Delete a team', params: TeamParams, response: { 200: StatusAnswer('deleted') } } },
      async (request) => {
        const name = teamOr404(request.params.name).metadata.name!;
        try {
          await deps.kubeFor(request).request({ method: 'DELETE', path: paths.team(name) });
        } catch (err) {
          throw kubeError(err, 'delete', name);
        }
        await waitGone(name);
        teamNotice(name, 'Team deleted', `Team ${name} was deleted`);
        return { status: 'deleted' as const };
      },
    );

  app.get(
    '/api/teams/:name/clusters',
    {
      schema: { summary: "A team's tenant clusters", params: TeamParams, response: { 200: TeamClustersAnswer } },
    },
    async (request) => {
      const name = teamOr404(request.params.name).metadata.name!;
      return {
        clusters: clusters.list().filter((c) => clusterTeam(c) === name || c.metadata.labels?.[LABEL_TEAM] === name),
      };
    },
  );

  app.get(
    '/api/teams/:name/groups',
    { schema: { summary: "A team's group syncs", params: TeamParams, response: { 200: TeamGroupsAnswer } } },
    async (request) => ({ groups: groupEntries(teamOr404(request.params.name) as TeamLike) }),
  );

  // ---- members

  app.get(
    '/api/teams/:name/members',
    {
      schema: {
        summary: "A team's members: direct, through a group sync, or elevated above their group's role",
        params: TeamParams,
        response: { 200: TeamMembersAnswer },
      },
    },
    async (request) => {
      const team = teamOr404(request.params.name) as TeamLike & KubeObject;
      const me = principalOf(request).identity.email;
      const groups = groupEntries(team);
      const members: Static<typeof TeamMemberSchema>[] = [];
      const counts: Record<string, number> = {};
      const listed = new Set<string>();
      const groupAccessOf = (email: string) => {
        const seen = identity.users.byEmail(email)?.status?.lastSeenGroups ?? [];
        return groupRoleIn(team, groupLookupSet(seen));
      };
      for (const d of directUsers(team)) {
        listed.add(d.email);
        const user = identity.users.byEmail(d.email);
        const name = user?.spec?.displayName || user?.metadata.name;
        const viaGroup = groupAccessOf(d.email);
        if (viaGroup) counts[viaGroup.group] = (counts[viaGroup.group] ?? 0) + 1;
        const base = { email: d.email, ...(name ? { name } : {}), directRole: d.role };
        if (viaGroup && teamRoleRank(d.role) > teamRoleRank(viaGroup.role)) {
          members.push({
            ...base,
            role: d.role,
            source: 'elevated',
            groupName: viaGroup.group,
            groupRole: viaGroup.role,
            groupIdentifier: viaGroup.group,
            canRemove: true,
            removeNote: `Will revert to ${viaGroup.role} via ${viaGroup.group}`,
          });
        } else if (viaGroup) {
          members.push({
            ...base,
            role: viaGroup.role,
            source: 'group',
            groupName: viaGroup.group,
            groupRole: viaGroup.role,
            groupIdentifier: viaGroup.group,
            canRemove: true,
            removeNote: 'Redundant direct membership',
          });
        } else {
          members.push({ ...base, role: d.role, source: 'direct', canRemove: d.email !== me });
        }
      }
      // Users who belong through a synced group only (as their last SSO login reported it).
      if (groups.length)
        for (const u of identity.users.list()) {
          const email = normaliseEmail(String(u.spec?.email ?? ''));
          if (!email || listed.has(email)) continue;
          const viaGroup = groupAccessOf(email);
          if (!viaGroup) continue;
          counts[viaGroup.group] = (counts[viaGroup.group] ?? 0) + 1;
          const name = u.spec?.displayName || u.metadata.name;
          members.push({
            email,
            ...(name ? { name } : {}),
            role: viaGroup.role,
            source: 'group',
            groupName: viaGroup.group,
            groupRole: viaGroup.role,
            groupIdentifier: viaGroup.group,
            canRemove: false,
            removeNote: 'Access via group membership',
          });
        }
      return { members, groups: groups.map((g) => ({ name: g.name, role: g.role })), groupMemberCounts: counts };
    },
  );

  app.post(
    '/api/admin/teams/:name/members',
    {
      schema: {
        summary: 'Add a direct member to a team',
        params: TeamParams,
        body: AddMemberBody,
        response: { 201: MemberAddedAnswer },
      },
    },
    async (request, reply) => {
      const name = teamOr404(request.params.name).metadata.name!;
      const body = request.body;
      if (typeof body.email !== 'string' || !body.email.trim()) throw badRequest('Email is required');
      const email = normaliseEmail(body.email);
      if (!isEmailAddress(email)) throw badRequest('Email is not a valid email address');
      const role = roleFrom(body.role, false);
      const seen = identity.users.byEmail(email)?.status?.lastSeenGroups ?? [];
      let viaGroup: { role: TeamRole; group: string } | undefined;
      await updateTeam(request, name, (spec) => {
        const users = spec.access?.users ?? [];
        if (users.some((u) => normaliseEmail(u.name) === email))
          throw conflict('User is already a direct member. Use the role dropdown to change their role.');
        viaGroup = groupRoleIn(spec as TeamLike, groupLookupSet(seen));
        if (viaGroup && teamRoleRank(role) <= teamRoleRank(viaGroup.role))
          throw conflict(
            `User may already have ${viaGroup.role} access via ${viaGroup.group}. To elevate their role, add them with a higher role.`,
          );
        spec.access = { ...spec.access, users: [...users, { name: email, role }] };
      });
      teamNotice(name, 'Member added', `${email} was added to team ${name} as ${role}`);
      return reply.code(201).send({
        status: 'added',
        email,
        role,
        ...(viaGroup ? { elevated: true as const, groupName: viaGroup.group, groupRole: viaGroup.role } : {}),
      });
    },
  );

  app.patch(
    '/api/admin/teams/:name/members/:email',
    {
      schema: {
        summary: "Change a direct member's role",
        params: MemberParams,
        body: RoleBody,
        response: { 200: MemberUpdatedAnswer },
      },
    },
    async (request) => {
      const name = teamOr404(request.params.name).metadata.name!;
      const email = normaliseEmail(request.params.email);
      const role = roleFrom(request.body.role, true);
      await updateTeam(request, name, (spec) => {
        const users = spec.access?.users ?? [];
        const entry = users.find((u) => normaliseEmail(u.name) === email);
        if (!entry) throw notFound('Member not found');
        entry.role = role;
      });
      teamNotice(name, 'Member role changed', `${email} is now ${role} in team ${name}`);
      return { status: 'updated' as const, email, role };
    },
  );

  app.delete(
    '/api/admin/teams/:name/members/:email',
    {
      schema: {
        summary: 'Remove a direct member (group syncs may still give access)',
        params: MemberParams,
        response: { 200: MemberRemovedAnswer },
      },
    },
    async (request) => {
      const name = teamOr404(request.params.name).metadata.name!;
      const email = normaliseEmail(request.params.email);
      let retains: { role: TeamRole; group: string } | undefined;
      const seen = identity.users.byEmail(email)?.status?.lastSeenGroups ?? [];
      await updateTeam(request, name, (spec) => {
        const users = spec.access?.users ?? [];
        const rest = users.filter((u) => normaliseEmail(u.name) !== email);
        if (rest.length === users.length) throw notFound('Member not found');
        spec.access = { ...spec.access, users: rest };
        retains = groupRoleIn(spec as TeamLike, groupLookupSet(seen));
      });
      teamNotice(name, 'Member removed', `${email} was removed from team ${name}`);
      return {
        status: 'removed' as const,
        email,
        ...(retains ? { retainsAccess: true as const, groupName: retains.group, groupRole: retains.role } : {}),
      };
    },
  );

  // ---- group syncs

  const groupKey = (g: { name: string; identityProvider?: string | undefined }) =>
    `${normaliseGroup(g.name)}\u0000${g.identityProvider ?? ''}`;
  const idpOf = (query: { idp?: unknown }) => (typeof query.idp === 'string' && query.idp ? query.idp : undefined);

  app.post(
    '/api/admin/teams/:name/groups',
    {
      schema: {
        summary: 'Add a group sync: members of the group get a role in the team',
        params: TeamParams,
        body: AddGroupBody,
        response: { 201: GroupAddedAnswer },
      },
    },
    async (request, reply) => {
      const name = teamOr404(request.params.name).metadata.name!;
      const body = request.body;
      if (typeof body.name !== 'string' || !body.name.trim()) throw badRequest('Group name is required');
      if (body.name.length > MAX_TEXT) throw badRequest(`Group name must be at most ${MAX_TEXT} characters`);
      const group = body.name.trim();
      const role = roleFrom(body.role, false);
      const idp = optionalText(body, 'identityProvider');
      await updateTeam(request, name, (spec) => {
        const groups = spec.access?.groups ?? [];
        const key = groupKey({ name: group, identityProvider: idp });
        if (groups.some((g) => groupKey(g) === key))
          throw conflict('Group sync already exists for this group and identity provider');
        spec.access = {
          ...spec.access,
          groups: [...groups, { name: group, role, ...(idp ? { identityProvider: idp } : {}) }],
        };
      });
      teamNotice(name, 'Group sync added', `Group ${group} now gives ${role} in team ${name}`);
      return reply.code(201).send({ status: 'added', name: group, role, identityProvider: idp ?? '' });
    },
  );

  const findGroup = (spec: TeamSpec, group: string, idp: string | undefined) => {
    const groups = spec.access?.groups ?? [];
    const index = groups.findIndex(
      (g) =>
        groupMatches(g.name, new Set([normaliseGroup(group)])) && (idp === undefined || g.identityProvider === idp),
    );
    if (index < 0) throw notFound('Group sync not found');
    return { groups, index };
  };

  app.patch(
    '/api/admin/teams/:name/groups/:group',
    {
      schema: {
        summary: 'Change the role a group sync gives',
        params: GroupParams,
        querystring: GroupQuery,
        body: RoleBody,
        response: { 200: GroupUpdatedAnswer },
      },
    },
    async (request) => {
      const name = teamOr404(request.params.name).metadata.name!;
      const group = request.params.group;
      const role = roleFrom(request.body.role, true);
      await updateTeam(request, name, (spec) => {
        const { groups, index } = findGroup(spec, group, idpOf(request.query));
        groups[index]!.role = role;
      });
      teamNotice(name, 'Group sync changed', `Group ${group} now gives ${role} in team ${name}`);
      return { status: 'updated' as const, name: group, role };
    },
  );

  app.delete(
    '/api/admin/teams/:name/groups/:group',
    {
      schema: {
        summary: 'Remove a group sync',
        params: GroupParams,
        querystring: GroupQuery,
        response: { 200: GroupRemovedAnswer },
      },
    },
    async (request) => {
      const name = teamOr404(request.params.name).metadata.name!;
      const group = request.params.group;
      await updateTeam(request, name, (spec) => {
        const { groups, index } = findGroup(spec, group, idpOf(request.query));
        groups.splice(index, 1);
      });
      teamNotice(name, 'Group sync removed', `Group ${group} no longer gives access to team ${name}`);
      return { status: 'removed' as const, name: group };
    },
  );

  // ---- environments

  const environmentFrom = (body: Record<string, unknown>) => {
    const name = body.name;
    if (typeof name !== 'string' || !ENV_NAME.test(name))
      throw badRequest('Environment name is required (letters, digits, -, _ and ., at most 63 characters)');
    return { ...structuredClone(body), name };
  };

  app.post(
    '/api/teams/:name/environments',
    {
      schema: {
        summary: 'Add an environment to a team',
        params: TeamParams,
        body: EnvironmentBody,
        response: { 201: EnvironmentSchema },
      },
    },
    async (request, reply) => {
      const name = teamOr404(request.params.name).metadata.name!;
      const entry = environmentFrom(request.body);
      await updateTeam(request, name, (spec) => {
        const envs = spec.environments ?? [];
        if (envs.some((e) => e.name === entry.name)) throw conflict(`Environment "${entry.name}" already exists`);
        spec.environments = [...envs, entry];
      });
      return reply.code(201).send(entry);
    },
  );

  app.put(
    '/api/teams/:name/environments/:env',
    {
      schema: {
        summary: "Replace a team's environment (the name cannot change)",
        params: EnvironmentParams,
        body: EnvironmentBody,
        response: { 200: EnvironmentSchema },
      },
    },
    async (request) => {
      const name = teamOr404(request.params.name).metadata.name!;
      const env = request.params.env;
      const body: Record<string, unknown> = { ...request.body };
      if (body.name !== undefined && body.name !== env)
        throw badRequest('Environment name is immutable; delete and recreate to rename');
      const entry = environmentFrom({ ...body, name: env });
      await updateTeam(request, name, (spec) => {
        const envs = spec.environments ?? [];
        const i = envs.findIndex((e) => e.name === env);
        if (i < 0) throw notFound('Environment not found');
        envs[i] = entry;
        spec.environments = envs;
      });
      return entry;
    },
  );

  app.delete(
    '/api/teams/:name/environments/:env',
    {
      schema: {
        summary: "Delete a team's environment",
        params: EnvironmentParams,
        response: { 200: StatusAnswer('deleted') },
      },
    },
    async (request) => {
      const name = teamOr404(request.params.name).metadata.name!;
      const env = request.params.env;
      await updateTeam(request, name, (spec) => {
        const envs = spec.environments ?? [];
        if (!envs.some((e) => e.name === env)) throw notFound('Environment not found');
        spec.environments = envs.filter((e) => e.name !== env);
      });
      return { status: 'deleted' as const };
    },
  );
}
