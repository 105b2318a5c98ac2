// Console pages of systems butler-server does not run (GitOps repositories, the observability pipeline, the image
// factory): each read answers 200 with `configured: false` and a message, which the console shows as "not configured",
// instead of a 404 that it would show as an error (docs/api.md §3.10).
import { Type } from '@sinclair/typebox';
import type { App } from '../http/app-type.js';
import { notFound } from '../http/errors.js';
import { getCached, listCached } from '../kube/cached-read.js';
import type { ApiContext } from './context.js';
import * as R from './validation/rules.js';

export const NOT_CONFIGURED = {
  gitops: 'GitOps is not configured: this server does not connect to a Git provider',
  observability: 'Observability is not configured: this server does not manage an observability pipeline',
  imageFactory: 'The image factory is not configured: this server does not connect to an image factory',
} as const;

const Base = { configured: Type.Literal(false), message: Type.String() };
const GitOpsStatus = Type.Object({ ...Base, enabled: Type.Literal(false) }, { title: 'GitOpsNotConfigured' });
const ClusterParams = Type.Object({ ns: R.NamespaceParam(), name: R.NameParam() });

export function registerNotConfiguredRoutes(app: App, ctx: ApiContext): void {
  const gitops = { configured: false as const, message: NOT_CONFIGURED.gitops };
  app.get(
    '/api/gitops/config',
    { schema: { summary: 'Git provider configuration (not configured)', response: { 200: Type.Object(Base) } } },
    async () => gitops,
  );
  app.get(
    '/api/management/gitops/status',
    { schema: { summary: 'GitOps on the management cluster (not configured)', response: { 200: GitOpsStatus } } },
    async () => ({ ...gitops, enabled: false as const }),
  );
  app.get(
    '/api/clusters/:ns/:name/gitops/status',
    {
      schema: {
        summary: 'GitOps on a tenant cluster (not configured)',
        params: ClusterParams,
        response: { 200: GitOpsStatus },
      },
    },
    async (request) => {
      const { ns, name } = request.params;
      if (!(await getCached(ctx.reads.clusters, ns, name))) throw notFound(`TenantCluster "${ns}/${name}" not found`);
      return { ...gitops, enabled: false as const };
    },
  );

  const observability = { configured: false as const, message: NOT_CONFIGURED.observability };
  app.get(
    '/api/observability/config',
    { schema: { summary: 'Observability configuration (not configured)', response: { 200: Type.Object(Base) } } },
    async () => observability,
  );
  app.get(
    '/api/admin/observability/status',
    {
      schema: {
        summary: 'Observability status (not configured)',
        response: {
          200: Type.Object({
            ...Base,
            clusters: Type.Array(Type.Object({}), { maxItems: 0 }),
            summary: Type.Object({
              totalClusters: Type.Integer(),
              enrolledClusters: Type.Integer(),
              vectorAgentCount: Type.Integer(),
              prometheusCount: Type.Integer(),
              otelCollectorCount: Type.Integer(),
            }),
          }),
        },
      },
    },
    async () => ({
      ...observability,
      clusters: [],
      summary: {
        totalClusters: (await listCached(ctx.reads.clusters)).length,
        enrolledClusters: 0,
        vectorAgentCount: 0,
        prometheusCount: 0,
        otelCollectorCount: 0,
      },
    }),
  );

  const imageFactory = { configured: false as const, message: NOT_CONFIGURED.imageFactory };
  app.get(
    '/api/image-factory/catalog',
    {
      schema: {
        summary: 'Image factory catalog (not configured)',
        response: { 200: Type.Object({ ...Base, entries: Type.Array(Type.Object({}), { maxItems: 0 }) }) },
      },
    },
    async () => ({ ...imageFactory, entries: [] }),
  );
  app.get(
    '/api/image-syncs',
    {
      schema: {
        summary: 'Image syncs (not configured)',
        response: { 200: Type.Object({ ...Base, imageSyncs: Type.Array(Type.Object({}), { maxItems: 0 }) }) },
      },
    },
    async () => ({ ...imageFactory, imageSyncs: [] }),
  );
}
