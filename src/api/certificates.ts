// A tenant cluster's control-plane certificates, from the Secrets of its Kamaji TenantControlPlane, and their
// rotation (docs/api.md §3.1).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { App } from '../http/app-type.js';
import { badRequest, conflict, HttpError, notFound } from '../http/errors.js';
import { principalOf } from '../identity/auth-routes.js';
import { ANNOTATION_CERT_ROTATE, ANNOTATION_ROTATION_REQUEST, CONTROL_PLANE_LABELS } from '../kube/butler.js';
import { toHttpError } from '../kube/errors.js';
import { controlPlaneNamespace } from './cluster-resources.js';
import { ClusterParams, getTenantCluster } from './clusters.js';
import type { ApiContext } from './context.js';
import { listCapped, paths } from './kube-helpers.js';
import {
  CATEGORIES,
  categoryOf,
  certificatesOfSecret,
  isConfigSecret,
  worstHealth,
  type CertificateCategory,
  type CertificateHealth,
  type CertificateInfo,
  type CertificateSecret,
} from './views/certificates.js';

const MAX_SECRETS = 200;

const CertificateInfoSchema = Type.Object(
  {
    subject: Type.String(),
    issuer: Type.String(),
    serialNumber: Type.String(),
    notBefore: Type.String(),
    notAfter: Type.String(),
    daysUntilExpiry: Type.Integer(),
    ageInDays: Type.Integer(),
    healthStatus: Type.String(),
    secretName: Type.String(),
    secretKey: Type.String(),
    category: Type.String(),
    isCA: Type.Boolean(),
    dnsNames: Type.Array(Type.String()),
    ipAddresses: Type.Array(Type.String()),
  },
  { title: 'CertificateInfo' },
);

const ClusterCertificatesSchema = Type.Object(
  {
    clusterName: Type.String(),
    namespace: Type.String(),
    tcpNamespace: Type.String(),
    categories: Type.Record(Type.String(), Type.Array(CertificateInfoSchema)),
    overallHealth: Type.String(),
    certificateCount: Type.Integer(),
    earliestExpiry: Type.Optional(Type.String()),
    rotationInProgress: Type.Boolean(),
    rotatingSecrets: Type.Array(Type.String()),
  },
  { title: 'ClusterCertificates' },
);

const RotateBody = Type.Object(
  {
    type: Type.Union([Type.Literal('all'), Type.Literal('kubeconfigs'), Type.Literal('ca')], {
      errorMessage: 'must be one of all, kubeconfigs, ca',
    }),
    acknowledge: Type.Optional(Type.Boolean({ errorMessage: 'must be true or false' })),
  },
  { title: 'RotateCertificatesRequest' },
);

const RotationEventSchema = Type.Object(
  {
    type: Type.String(),
    initiatedBy: Type.String(),
    initiatedAt: Type.String(),
    status: Type.Literal('in_progress'),
    affectedSecrets: Type.Array(Type.String()),
    message: Type.String(),
  },
  { title: 'RotationEvent' },
);

const RotationStatusSchema = Type.Object(
  {
    type: Type.Optional(Type.String()),
    initiatedBy: Type.Optional(Type.String()),
    initiatedAt: Type.Optional(Type.String()),
    completedAt: Type.Optional(Type.String()),
    status: Type.Union([Type.Literal('in_progress'), Type.Literal('completed'), Type.Literal('unknown')]),
    affectedSecrets: Type.Array(Type.String()),
    message: Type.String(),
  },
  { title: 'RotationStatus' },
);

const CategoryParams = Type.Object({
  ns: ClusterParams.properties.ns,
  name: ClusterParams.properties.name,
  category: Type.String(),
});

const CategoryCertificatesSchema = Type.Object(
  { category: Type.String(), certificates: Type.Array(CertificateInfoSchema) },
  { title: 'CategoryCertificates' },
);

interface ControlPlaneSecrets {
  tcpNamespace: string;
  /** The control plane's Secrets (not its datastore settings), with their category and certificates (parsed only for
   * the categories asked for; the others have none). */
  secrets: { secret: CertificateSecret; category: CertificateCategory; certificates: CertificateInfo[] }[];
}

async function controlPlaneSecrets(
  ctx: ApiContext,
  ns: string,
  name: string,
  parse: (category: CertificateCategory) => boolean = () => true,
): Promise<ControlPlaneSecrets> {
  const now = Date.now();
  const cluster = await getTenantCluster(ctx, ns, name);
  const tcpNamespace = controlPlaneNamespace(cluster);
  const selector = `${CONTROL_PLANE_LABELS.project}=${CONTROL_PLANE_LABELS.projectValue},${CONTROL_PLANE_LABELS.name}=${name}`;
  let items: CertificateSecret[];
  try {
    items = await listCapped<CertificateSecret>(
      ctx.kube,
      paths.secrets(tcpNamespace),
      { labelSelector: selector },
      MAX_SECRETS,
    );
  } catch (err) {
    throw toHttpError(err, { kind: 'Secret', namespace: tcpNamespace, verb: 'list', resource: 'secrets' });
  }
  const secrets = items
    .filter((s) => !isConfigSecret(s))
    .map((secret) => {
      const category = categoryOf(secret, name, CONTROL_PLANE_LABELS.component);
      return { secret, category, certificates: parse(category) ? certificatesOfSecret(secret, category, now) : [] };
    })
    .sort((a, b) => (a.secret.metadata?.name ?? '').localeCompare(b.secret.metadata?.name ?? ''));
  return { tcpNamespace, secrets };
}

const rotating = (s: CertificateSecret) => s.metadata?.annotations?.[ANNOTATION_CERT_ROTATE] === '';

/**
 * The Secrets a rotation renews: those holding certificates, except the CAs (a new CA is a different operation) —
 * all of them, or only the kubeconfigs. Service-account keys hold no certificate and are never touched.
 */
function secretsToRotate(all: ControlPlaneSecrets['secrets'], type: 'all' | 'kubeconfigs'): string[] {
  return all
    .filter(({ certificates }) => certificates.length > 0)
    .filter(({ category }) => (type === 'kubeconfigs' ? category === 'kubeconfig' : category !== 'ca'))
    .map(({ secret }) => secret.metadata?.name ?? '')
    .filter(Boolean);
}

interface RotationRequest {
  type: string;
  by: string;
  at: string;
}

function rotationRequestOf(s: CertificateSecret): RotationRequest | undefined {
  const raw = s.metadata?.annotations?.[ANNOTATION_ROTATION_REQUEST];
  if (!raw) return undefined;
  try {
    const r = JSON.parse(raw) as Partial<RotationRequest>;
    return typeof r.type === 'string' && typeof r.by === 'string' && typeof r.at === 'string'
      ? { type: r.type, by: r.by, at: r.at }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The latest rotation, read back from the Secrets: in progress while Kamaji's rotate annotation is still empty on any
 * of them; completed once Kamaji has written its renewal time on every Secret of that request.
 */
export function rotationStatus(secrets: CertificateSecret[]): Static<typeof RotationStatusSchema> {
  const requested = secrets
    .map((secret) => ({ secret, request: rotationRequestOf(secret) }))
    .filter((r): r is { secret: CertificateSecret; request: RotationRequest } => r.request !== undefined);
  const latestAt = requested
    .map((r) => r.request.at)
    .sort()
    .at(-1);
  if (!latestAt)
    return { status: 'unknown', affectedSecrets: [], message: 'no certificate rotation was requested through Butler' };
  const latest = requested.filter((r) => r.request.at === latestAt);
  const { type, by, at } = latest[0]!.request;
  const affected = latest.map((r) => r.secret.metadata?.name ?? '').sort();
  const pending = latest.filter((r) => rotating(r.secret));
  if (pending.length)
    return {
      type,
      initiatedBy: by,
      initiatedAt: at,
      status: 'in_progress',
      affectedSecrets: affected,
      message: `${pending.length} of ${affected.length} certificate Secret(s) still waiting for Kamaji`,
    };
  const renewedAt = latest
    .map((r) => r.secret.metadata?.annotations?.[ANNOTATION_CERT_ROTATE] ?? '')
    .filter(Boolean)
    .sort()
    .at(-1);
  return {
    type,
    initiatedBy: by,
    initiatedAt: at,
    ...(renewedAt ? { completedAt: renewedAt } : {}),
    status: 'completed',
    affectedSecrets: affected,
    message: `Kamaji renewed ${affected.length} certificate Secret(s)`,
  };
}

function who(request: FastifyRequest): string {
  const p = principalOf(request);
  return p.identity.email || p.identity.username;
}

export function registerCertificateRoutes(app: App, ctx: ApiContext): void {
  app.get(
    '/api/clusters/:ns/:name/certificates',
    {
      schema: {
        summary: "A tenant cluster's control-plane certificates, grouped by category",
        params: ClusterParams,
        response: { 200: ClusterCertificatesSchema },
      },
    },
    async (request): Promise<Static<typeof ClusterCertificatesSchema>> => {
      const { ns, name } = request.params;
      const { tcpNamespace, secrets } = await controlPlaneSecrets(ctx, ns, name);
      const categories: Partial<Record<CertificateCategory, CertificateInfo[]>> = {};
      let overall: CertificateHealth | undefined;
      let earliest: string | undefined;
      let count = 0;
      for (const { category, certificates } of secrets) {
        for (const info of certificates) {
          (categories[category] ??= []).push(info);
          overall = overall ? worstHealth(overall, info.healthStatus) : info.healthStatus;
          if (!earliest || info.notAfter < earliest) earliest = info.notAfter;
          count++;
        }
      }
      const ordered = Object.fromEntries(CATEGORIES.filter((c) => categories[c]).map((c) => [c, categories[c]!]));
      return {
        clusterName: name,
        namespace: ns,
        tcpNamespace,
        categories: ordered,
        overallHealth: overall ?? 'Unknown',
        certificateCount: count,
        ...(earliest ? { earliestExpiry: earliest } : {}),
        rotationInProgress: secrets.some(({ secret }) => rotating(secret)),
        rotatingSecrets: secrets
          .filter(({ secret }) => rotating(secret))
          .map(({ secret }) => secret.metadata?.name ?? ''),
      };
    },
  );

  app.post(
    '/api/clusters/:ns/:name/certificates/rotate',
    {
      schema: {
        summary: "Ask Kamaji to renew a tenant cluster's control-plane certificates (platform admins)",
        params: ClusterParams,
        body: RotateBody,
        response: { 202: RotationEventSchema },
      },
    },
    async (request, reply) => {
      const { ns, name } = request.params;
      const { type } = request.body;
      if (type === 'ca')
        throw badRequest(
          'type: CA rotation is not offered: a new CA invalidates every certificate and kubeconfig issued under the old one, and every worker node must join again; renew leaf certificates with type "all"',
          { field: 'type' },
        );
      const { tcpNamespace, secrets } = await controlPlaneSecrets(ctx, ns, name);
      const busy = secrets.filter(({ secret }) => rotating(secret)).map(({ secret }) => secret.metadata?.name);
      if (busy.length)
        throw conflict(`a certificate rotation of cluster "${ns}/${name}" is in progress (${busy.join(', ')})`);
      const targets = secretsToRotate(secrets, type);
      if (!targets.length)
        throw notFound(
          `no ${type === 'kubeconfigs' ? 'kubeconfig' : 'certificate'} Secrets of cluster "${ns}/${name}" in namespace "${tcpNamespace}"`,
        );
      const kube = ctx.kubeFor(request);
      const initiatedBy = who(request);
      const initiatedAt = new Date().toISOString();
      const requestNote = JSON.stringify({ type, by: initiatedBy, at: initiatedAt });
      const marked: string[] = [];
      for (const secret of targets) {
        try {
          await kube.request({
            method: 'PATCH',
            path: paths.secret(tcpNamespace, secret),
            contentType: 'application/merge-patch+json',
            body: {
              metadata: { annotations: { [ANNOTATION_CERT_ROTATE]: '', [ANNOTATION_ROTATION_REQUEST]: requestNote } },
            },
          });
          marked.push(secret);
        } catch (err) {
          const mapped = toHttpError(err, {
            kind: 'Secret',
            namespace: tcpNamespace,
            name: secret,
            verb: 'patch',
            resource: 'secrets',
          });
          const done = marked.length ? ` (already requested for ${marked.join(', ')}, which will be renewed)` : '';
          throw new HttpError(mapped.status, `${mapped.message}${done}`, mapped.details);
        }
      }
      request.log.info({ cluster: `${ns}/${name}`, type, secrets: marked }, 'certificate rotation requested');
      return reply.code(202).send({
        type,
        initiatedBy,
        initiatedAt,
        status: 'in_progress',
        affectedSecrets: marked,
        message: `Kamaji renews ${marked.length} certificate Secret(s); the control plane picks up the new certificates when they are written`,
      });
    },
  );
  app.get(
    '/api/clusters/:ns/:name/certificates/rotation-status',
    {
      schema: {
        summary: 'The latest certificate rotation of a tenant cluster requested through Butler, and how far it got',
        params: ClusterParams,
        response: { 200: RotationStatusSchema },
      },
    },
    async (request) => {
      const { ns, name } = request.params;
      // The status is in the Secrets' annotations: no certificate needs parsing.
      const { secrets } = await controlPlaneSecrets(ctx, ns, name, () => false);
      return rotationStatus(secrets.map(({ secret }) => secret));
    },
  );

  app.get(
    '/api/clusters/:ns/:name/certificates/:category',
    {
      schema: {
        summary: "A tenant cluster's control-plane certificates of one category",
        params: CategoryParams,
        response: { 200: CategoryCertificatesSchema },
      },
    },
    async (request) => {
      const { ns, name, category } = request.params;
      if (!(CATEGORIES as readonly string[]).includes(category))
        throw badRequest(`invalid certificate category "${category}": one of ${CATEGORIES.join(', ')}`, {
          field: 'category',
        });
      const { secrets } = await controlPlaneSecrets(ctx, ns, name, (c) => c === category);
      return {
        category,
        certificates: secrets.filter((s) => s.category === category).flatMap((s) => s.certificates),
      };
    },
  );
}
