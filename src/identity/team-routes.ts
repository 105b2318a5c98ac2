// /api/teams and /api/admin/teams: team CRUD, members, group syncs, environments. Team writes read the Team, change
// it, and update it (409 conflicts are retried); they are sent as the requesting user (kubeFor).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
  normaliseEmail,
  normaliseGroup,
  type TeamLike,
} from './membership.js';
import { identityPaths, isDnsLabel, LABEL_MANAGED_BY, LABEL_TEAM } from './paths.js';
import { isTeamRole, teamRoleRank, type TeamRole } from './roles.js';
import type { IdentityServices } from './services.js';
import { teamView } from './views.js';
import type { ResourceCache } from '../kube/cache.js';
import type { Notification } from './notifications.js';

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

function optionalObject(body: Record<string, unknown>, field: string): Record<string, unknown> | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest(`${field} must be an object`);
  return v as Record<string, unknown>;
}

export function registerTeamRoutes(app: FastifyInstance, deps: TeamRouteDeps): void {
  const { identity, clusters } = deps;
  const teams = identity.teams;

  const teamOr404 = (name: string): KubeObject => {
    const t = isDnsLabel(name) ? teams.get(name) : undefined;
    if (!t) throw notFound('Team not found');
    return t;
  };
  const clusterCount = (name: string) => deps.clusterViews.countByTeam().get(name) ?? 0;
  const view = (t: KubeObject) => teamView(t, clusterCount(t.metadata.name ?? ''));
  const nameParam = (request: FastifyRequest) => (request.params as { name: string }).name;

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
        current = await kube.request<KubeObject>({ method: 'GET', path: identityPaths.team(name) });
      } catch (err) {
        throw kubeError(err, 'get', name);
      }
      const spec = structuredClone((current.spec ?? {}) as TeamSpec);
      change(spec);
      try {
        const updated = await kube.request<KubeObject>({
          method: 'PUT',
          path: identityPaths.team(name),
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

  app.get('/api/teams', async () => ({ teams: teams.list().map(view) }));

  const createTeam = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const name = body.name;
    if (typeof name !== 'string' || !name) throw badRequest('Team name is required');
    if (!isDnsLabel(name))
      throw badRequest('Team name must be a DNS-1123 label (lowercase letters, digits and -, at most 63 characters)');
    const displayName = optionalText(body, 'displayName');
    const description = optionalText(body, 'description');
    if (teams.get(name)) throw conflict('Team already exists');
    let created: KubeObject;
    try {
      created = await deps.kubeFor(request).request<KubeObject>({
        method: 'POST',
        path: identityPaths.teams(),
        body: {
          apiVersion: 'butler.butlerlabs.dev/v1alpha1',
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
  };
  app.post('/api/teams', createTeam);
  app.post('/api/admin/teams', createTeam);

  app.get('/api/teams/:name', async (request) => view(teamOr404(nameParam(request))));

  const updateTeamFields = async (request: FastifyRequest, onlyText: boolean) => {
    const name = teamOr404(nameParam(request)).metadata.name!;
    const body = (request.body ?? {}) as Record<string, unknown>;
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
  app.put('/api/teams/:name', async (request) => updateTeamFields(request, false));
  // The console's team settings page reads `message` on failure: this route sends it beside `error`.
  app.patch('/api/teams/:name', async (request, reply) => {
    try {
      return await updateTeamFields(request, true);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      return reply.code(err.status).send({ ...err.toJSON(), message: err.message });
    }
  });

  const deleteTeam = async (request: FastifyRequest) => {
    const name = teamOr404(nameParam(request)).metadata.name!;
    try {
      await deps.kubeFor(request).request({ method: 'DELETE', path: identityPaths.team(name) });
    } catch (err) {
      throw kubeError(err, 'delete', name);
    }
    await waitGone(name);
    teamNotice(name, 'Team deleted', `Team ${name} was deleted`);
    return { status: 'deleted' };
  };
  app.delete('/api/teams/:name', deleteTeam);
  app.delete('/api/admin/teams/:name', deleteTeam);

  async function waitGone(name: string): Promise<void> {
    const deadline = Date.now() + WRITE_VISIBLE_MS;
    while (teams.get(name) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  app.get('/api/teams/:name/clusters', async (request) => {
    const name = teamOr404(nameParam(request)).metadata.name!;
    return {
      clusters: clusters.list().filter((c) => clusterTeam(c) === name || c.metadata.labels?.[LABEL_TEAM] === name),
    };
  });

  app.get('/api/teams/:name/groups', async (request) => ({
    groups: groupEntries(teamOr404(nameParam(request)) as TeamLike),
  }));

  // ---- members

  app.get('/api/teams/:name/members', async (request) => {
    const team = teamOr404(nameParam(request)) as TeamLike & KubeObject;
    const me = principalOf(request).identity.email;
    const groups = groupEntries(team);
    const members: Record<string, unknown>[] = [];
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
  });

  app.post('/api/admin/teams/:name/members', async (request, reply) => {
    const name = teamOr404(nameParam(request)).metadata.name!;
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (typeof body.email !== 'string' || !body.email.trim()) throw badRequest('Email is required');
    const email = normaliseEmail(body.email);
    if (email.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(email)) throw badRequest('Email is not a valid email address');
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
      ...(viaGroup ? { elevated: true, groupName: viaGroup.group, groupRole: viaGroup.role } : {}),
    });
  });

  const emailParam = (request: FastifyRequest) => normaliseEmail((request.params as { email: string }).email);

  app.patch('/api/admin/teams/:name/members/:email', async (request) => {
    const name = teamOr404(nameParam(request)).metadata.name!;
    const email = emailParam(request);
    const role = roleFrom(((request.body ?? {}) as Record<string, unknown>).role, true);
    await updateTeam(request, name, (spec) => {
      const users = spec.access?.users ?? [];
      const entry = users.find((u) => normaliseEmail(u.name) === email);
      if (!entry) throw notFound('Member not found');
      entry.role = role;
    });
    teamNotice(name, 'Member role changed', `${email} is now ${role} in team ${name}`);
    return { status: 'updated', email, role };
  });

  app.delete('/api/admin/teams/:name/members/:email', async (request) => {
    const name = teamOr404(nameParam(request)).metadata.name!;
    const email = emailParam(request);
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
      status: 'removed',
      email,
      ...(retains ? { retainsAccess: true, groupName: retains.group, groupRole: retains.role } : {}),
    };
  });

  // ---- group syncs

  const groupKey = (g: { name: string; identityProvider?: string | undefined }) =>
    `${normaliseGroup(g.name)}\u0000${g.identityProvider ?? ''}`;
  const idpQuery = (request: FastifyRequest) => {
    const v = (request.query as Record<string, unknown> | undefined)?.idp;
    return typeof v === 'string' && v ? v : undefined;
  };

  app.post('/api/admin/teams/:name/groups', async (request, reply) => {
    const name = teamOr404(nameParam(request)).metadata.name!;
    const body = (request.body ?? {}) as Record<string, unknown>;
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
  });

  const findGroup = (spec: TeamSpec, group: string, idp: string | undefined) => {
    const groups = spec.access?.groups ?? [];
    const index = groups.findIndex(
      (g) =>
        groupMatches(g.name, new Set([normaliseGroup(group)])) && (idp === undefined || g.identityProvider === idp),
    );
    if (index < 0) throw notFound('Group sync not found');
    return { groups, index };
  };

  app.patch('/api/admin/teams/:name/groups/:group', async (request) => {
    const name = teamOr404(nameParam(request)).metadata.name!;
    const group = (request.params as { group: string }).group;
    const role = roleFrom(((request.body ?? {}) as Record<string, unknown>).role, true);
    await updateTeam(request, name, (spec) => {
      const { groups, index } = findGroup(spec, group, idpQuery(request));
      groups[index]!.role = role;
    });
    teamNotice(name, 'Group sync changed', `Group ${group} now gives ${role} in team ${name}`);
    return { status: 'updated', name: group, role };
  });

  app.delete('/api/admin/teams/:name/groups/:group', async (request) => {
    const name = teamOr404(nameParam(request)).metadata.name!;
    const group = (request.params as { group: string }).group;
    await updateTeam(request, name, (spec) => {
      const { groups, index } = findGroup(spec, group, idpQuery(request));
      groups.splice(index, 1);
    });
    teamNotice(name, 'Group sync removed', `Group ${group} no longer gives access to team ${name}`);
    return { status: 'removed', name: group };
  });

  // ---- environments

  const environmentFrom = (body: Record<string, unknown>) => {
    const name = body.name;
    if (typeof name !== 'string' || !ENV_NAME.test(name))
      throw badRequest('Environment name is required (letters, digits, -, _ and ., at most 63 characters)');
    const entry = structuredClone(body) as { name: string; [k: string]: unknown };
    return entry;
  };
  const envParam = (request: FastifyRequest) => (request.params as { env: string }).env;

  app.post('/api/teams/:name/environments', async (request, reply) => {
    const name = teamOr404(nameParam(request)).metadata.name!;
    const entry = environmentFrom((request.body ?? {}) as Record<string, unknown>);
    await updateTeam(request, name, (spec) => {
      const envs = spec.environments ?? [];
      if (envs.some((e) => e.name === entry.name)) throw conflict(`Environment "${entry.name}" already exists`);
      spec.environments = [...envs, entry];
    });
    return reply.code(201).send(entry);
  });

  app.put('/api/teams/:name/environments/:env', async (request) => {
    const name = teamOr404(nameParam(request)).metadata.name!;
    const env = envParam(request);
    const body = { ...((request.body ?? {}) as Record<string, unknown>) };
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
  });

  app.delete('/api/teams/:name/environments/:env', async (request) => {
    const name = teamOr404(nameParam(request)).metadata.name!;
    const env = envParam(request);
    await updateTeam(request, name, (spec) => {
      const envs = spec.environments ?? [];
      if (!envs.some((e) => e.name === env)) throw notFound('Environment not found');
      spec.environments = envs.filter((e) => e.name !== env);
    });
    return { status: 'deleted' };
  });
}
