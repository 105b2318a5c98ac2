// Response schemas of the identity views (views.ts): they serialise the answers and describe them in the OpenAPI
// document. A field a view can send must be here, or the answer would lose it.
import { Type } from '@sinclair/typebox';

/** Free-form objects copied from a resource's spec/status (limits, usage, defaults). */
export const OpenObject = () => Type.Object({}, { additionalProperties: true });

export const MeViewSchema = Type.Object(
  {
    email: Type.String(),
    name: Type.String(),
    picture: Type.Optional(Type.String()),
    teams: Type.Array(Type.Object({ name: Type.String(), role: Type.String() })),
    isPlatformAdmin: Type.Optional(Type.Literal(true)),
    platformRole: Type.Optional(Type.String()),
    provider: Type.String(),
    username: Type.Optional(Type.String({ description: 'Platform admins only (the early-2026 console reads it)' })),
    role: Type.Optional(Type.Literal('admin', { description: 'Platform admins only' })),
    expiresAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Me' },
);

export const UserListItemSchema = Type.Object(
  {
    username: Type.String(),
    email: Type.String(),
    displayName: Type.Optional(Type.String()),
    avatar: Type.Optional(Type.String()),
    phase: Type.String(),
    disabled: Type.Boolean(),
    authType: Type.Union([Type.Literal('internal'), Type.Literal('sso')]),
    ssoProvider: Type.Optional(Type.String()),
    teams: Type.Array(Type.String()),
    isPlatformAdmin: Type.Optional(Type.Literal(true)),
    platformRole: Type.Optional(Type.String()),
  },
  { title: 'User' },
);

export const TeamViewSchema = Type.Object(
  {
    name: Type.String(),
    displayName: Type.String(),
    description: Type.Optional(Type.String()),
    namespace: Type.String(),
    phase: Type.String(),
    clusterCount: Type.Integer(),
    memberCount: Type.Integer(),
    groupCount: Type.Integer(),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    createdAt: Type.Optional(Type.String()),
    resourceLimits: Type.Optional(OpenObject()),
    resourceUsage: Type.Optional(OpenObject()),
    clusterDefaults: Type.Optional(OpenObject()),
    environments: Type.Optional(Type.Array(Type.Unknown())),
  },
  { title: 'Team' },
);

/** The session answer of login, legacy login and refresh. */
export const SessionAnswerSchema = Type.Object(
  {
    token: Type.String(),
    user: MeViewSchema,
    expiresAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Session' },
);
