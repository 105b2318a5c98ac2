// /api/providers: list, get, create (Secret + ProviderConfig), delete, and the connectivity checks (docs/api.md §3.6, §5).
import type { App } from '../http/app-type.js';
import { getCached, listCached } from '../kube/cached-read.js';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { badRequest, conflict, notFound } from '../http/errors.js';
import type { KubeObject } from '../kube/cache.js';
import { isKubeStatus, toHttpError } from '../kube/errors.js';
import { checkUntrustedKubeconfig, KubeconfigRejected } from '../kube/kubeconfig-check.js';
import type { CheckOutcome, ProviderConnection } from '../providers/checks.js';
import { waitVisible, type ApiContext } from './context.js';
import {
  createdBy,
  LABEL_MANAGED_BY,
  LABEL_PROVIDER,
  paths,
  STRICT,
  username,
  BUTLER_API_VERSION,
} from './kube-helpers.js';
import { stripManagedFields } from '../kube/cache-store.js';
import { connectionFromRequest, CreateProviderBody, providerObjects, TestProviderBody } from './provider-request.js';
import { recordValidation } from './provider-status.js';
import { K8sObject, ValidationResultSchema } from './schemas.js';
import * as R from './validation/rules.js';

const ProviderConfigSchema = K8sObject('ProviderConfig');
const ProviderParams = Type.Object({ ns: R.NamespaceParam(), name: R.NameParam() });

interface ProviderSpec {
  provider?: string;
  credentialsRef?: { name?: string; namespace?: string; key?: string };
  nutanix?: { endpoint?: string; port?: number; insecure?: boolean };
  proxmox?: { endpoint?: string; insecure?: boolean };
}

interface SecretObject {
  metadata?: { labels?: Record<string, string> };
  data?: Record<string, string>;
}

const providerMissing = (ns: string, name: string) => notFound(`ProviderConfig "${ns}/${name}" not found`);

export async function getProvider(ctx: ApiContext, ns: string, name: string): Promise<KubeObject> {
  try {
    return stripManagedFields(
      await ctx.kube.request<KubeObject>({ method: 'GET', path: paths.providerConfig(ns, name) }),
    );
  } catch (err) {
    if (isKubeStatus(err, 404)) throw providerMissing(ns, name);
    throw toHttpError(err, { kind: 'ProviderConfig', namespace: ns, name, verb: 'get', resource: 'providerconfigs' });
  }
}

const invalid = (message: string): CheckOutcome => ({ valid: false, message, reason: 'InvalidCredentials' });

/** The stored connection of a ProviderConfig, or a result saying why its credentials are unusable. */
export async function storedConnection(ctx: ApiContext, pc: KubeObject): Promise<ProviderConnection | CheckOutcome> {
  const spec = (pc.spec ?? {}) as ProviderSpec;
  const ref = spec.credentialsRef ?? {};
  const secretNs = ref.namespace || pc.metadata.namespace || '';
  const secretName = ref.name ?? '';
  const where = `credentials Secret "${secretNs}/${secretName}"`;
  if (!secretName) return invalid(`${where} not found`);
  let secret: SecretObject;
  try {
    secret = await ctx.kube.request<SecretObject>({ method: 'GET', path: paths.secret(secretNs, secretName) });
  } catch (err) {
    if (isKubeStatus(err, 404)) return invalid(`${where} not found`);
    throw toHttpError(err, { kind: 'Secret', namespace: secretNs, name: secretName, verb: 'get', resource: 'secrets' });
  }
  const value = (key: string) => {
    const v = secret.data?.[key];
    return v ? Buffer.from(v, 'base64').toString('utf8') : undefined;
  };
  switch (spec.provider) {
    case 'harvester': {
      const key = ref.key || 'kubeconfig';
      const text = value(key);
      if (!text) return invalid(`${where} has no key "${key}"`);
      try {
        return { provider: 'harvester', kubeconfig: checkUntrustedKubeconfig(text) };
      } catch (err) {
        if (err instanceof KubeconfigRejected) return invalid(`kubeconfig rejected: ${err.message}`);
        throw err;
      }
    }
    case 'nutanix': {
      for (const key of ['username', 'password']) if (!value(key)) return invalid(`${where} has no key "${key}"`);
      if (!spec.nutanix?.endpoint)
        return { valid: false, message: 'spec.nutanix.endpoint is not set', reason: 'APIError' };
      return {
        provider: 'nutanix',
        endpoint: spec.nutanix.endpoint,
        port: spec.nutanix.port,
        insecure: spec.nutanix.insecure,
        username: value('username')!,
        password: value('password')!,
      };
    }
    case 'proxmox': {
      if (!spec.proxmox?.endpoint)
        return { valid: false, message: 'spec.proxmox.endpoint is not set', reason: 'APIError' };
      const base = { provider: 'proxmox' as const, endpoint: spec.proxmox.endpoint, insecure: spec.proxmox.insecure };
      if (value('tokenId') && value('tokenSecret'))
        return { ...base, tokenId: value('tokenId'), tokenSecret: value('tokenSecret') };
      if (value('username') && value('password'))
        return { ...base, username: value('username'), password: value('password') };
      return invalid(`${where} has no key "tokenId" and "tokenSecret", or "username" and "password"`);
    }
    default:
      return { valid: false, message: `provider type "${spec.provider ?? ''}" cannot be checked`, reason: 'APIError' };
  }
}

async function listClusters(ctx: ApiContext): Promise<KubeObject[]> {
  return listCached(ctx.reads.clusters);
}

async function runChecked(
  ctx: ApiContext,
  request: FastifyRequest,
  conn: () => Promise<ProviderConnection | CheckOutcome>,
) {
  const release = ctx.checks.reserve(username(request));
  try {
    const c = await conn();
    return 'valid' in c ? c : await ctx.checks.run(c, request.log);
  } finally {
    release();
  }
}

export function registerProviderRoutes(app: App, ctx: ApiContext): void {
  app.get(
    '/api/providers',
    {
      schema: {
        summary: 'List provider configurations',
        response: { 200: Type.Object({ providers: Type.Array(ProviderConfigSchema) }) },
      },
    },
    async () => {
      return { providers: await listCached(ctx.reads.providers) };
    },
  );

  app.get(
    '/api/providers/:ns/:name',
    {
      schema: {
        summary: 'Get a provider configuration',
        params: ProviderParams,
        response: { 200: ProviderConfigSchema },
      },
    },
    async (request) => {
      const { ns, name } = request.params;
      const provider = await getCached(ctx.reads.providers, ns, name);
      if (!provider) throw providerMissing(ns, name);
      return provider;
    },
  );

  app.post(
    '/api/providers',
    {
      schema: {
        summary: 'Create a provider configuration',
        body: CreateProviderBody,
        response: { 201: ProviderConfigSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const namespace = body.namespace ?? ctx.config.systemNamespace;
      if (!ctx.config.providerNamespaces.includes(namespace))
        throw badRequest(`namespace: providers can only be created in ${ctx.config.providerNamespaces.join(', ')}`, {
          field: 'namespace',
        });
      connectionFromRequest(body, true);
      const { secretName, data, spec } = providerObjects(body, namespace);
      try {
        await ctx.kube.request({ method: 'GET', path: paths.providerConfig(namespace, body.name) });
        throw conflict(`ProviderConfig "${namespace}/${body.name}" already exists`);
      } catch (err) {
        if (!isKubeStatus(err, 404))
          throw toHttpError(err, {
            kind: 'ProviderConfig',
            namespace,
            name: body.name,
            verb: 'get',
            resource: 'providerconfigs',
          });
      }
      const annotations = createdBy(request);
      try {
        await ctx.kube.request({
          method: 'POST',
          path: paths.secrets(namespace),
          body: {
            apiVersion: 'v1',
            kind: 'Secret',
            type: 'Opaque',
            metadata: {
              name: secretName,
              namespace,
              labels: { [LABEL_MANAGED_BY]: 'butler', [LABEL_PROVIDER]: body.name },
              annotations,
            },
            data,
          },
        });
      } catch (err) {
        if (isKubeStatus(err, 404)) throw notFound(`namespace "${namespace}" not found`);
        throw toHttpError(err, { kind: 'Secret', namespace, name: secretName, verb: 'create', resource: 'secrets' });
      }
      let created: KubeObject;
      try {
        // The ProviderConfig as the user; its credentials Secret is the server's own (created and deleted by it).
        created = await ctx.kubeFor(request).request<KubeObject>({
          method: 'POST',
          path: paths.providerConfigs(namespace),
          query: STRICT,
          body: {
            apiVersion: BUTLER_API_VERSION,
            kind: 'ProviderConfig',
            metadata: { name: body.name, namespace, annotations },
            spec,
          },
        });
      } catch (err) {
        try {
          await ctx.kube.request({ method: 'DELETE', path: paths.secret(namespace, secretName) });
        } catch (cleanupErr) {
          request.log.error(
            { err: cleanupErr, secret: `${namespace}/${secretName}` },
            'could not remove the credentials Secret',
          );
        }
        throw toHttpError(err, {
          kind: 'ProviderConfig',
          namespace,
          name: body.name,
          verb: 'create',
          resource: 'providerconfigs',
        });
      }
      await waitVisible(ctx.providers, created);
      return reply.code(201).send(stripManagedFields(created));
    },
  );

  app.post(
    '/api/providers/test',
    {
      schema: {
        summary: 'Test provider connectivity (nothing is stored)',
        body: TestProviderBody,
        response: { 200: ValidationResultSchema },
      },
    },
    async (request) => {
      const body = request.body;
      const conn = connectionFromRequest(body, false);
      const outcome = await runChecked(ctx, request, async () => conn);
      return { valid: outcome.valid, message: outcome.message };
    },
  );

  app.post(
    '/api/providers/:ns/:name/validate',
    {
      schema: {
        summary: 'Validate a stored provider and record the result',
        params: ProviderParams,
        response: { 200: ValidationResultSchema },
      },
    },
    async (request) => {
      const { ns, name } = request.params;
      const pc = await getProvider(ctx, ns, name);
      const outcome = await runChecked(ctx, request, () => storedConnection(ctx, pc));
      let recorded = true;
      try {
        const written = await recordValidation(ctx.kube, ns, name, outcome);
        await waitVisible(ctx.providers, { metadata: written });
      } catch (err) {
        recorded = false;
        request.log.error({ err, provider: `${ns}/${name}` }, 'could not record the validation result');
      }
      return { valid: outcome.valid, message: outcome.message, recorded };
    },
  );

  app.delete(
    '/api/providers/:ns/:name',
    {
      schema: {
        summary: 'Delete a provider configuration',
        params: ProviderParams,
        response: { 200: Type.Object({ message: Type.String(), credentialsDeleted: Type.Boolean() }) },
      },
    },
    async (request) => {
      const { ns, name } = request.params;
      const pc = await getProvider(ctx, ns, name);
      const users = (await listClusters(ctx)).filter((c) => {
        const ref = (c.spec as { providerConfigRef?: { name?: string; namespace?: string } } | undefined)
          ?.providerConfigRef;
        return ref?.name === name && (!ref.namespace || ref.namespace === ns);
      });
      if (users.length)
        throw conflict(
          `provider "${ns}/${name}" is still used by clusters: ${users
            .slice(0, 5)
            .map((c) => `${c.metadata.namespace}/${c.metadata.name}`)
            .join(', ')}`,
        );
      let deleted: unknown;
      try {
        deleted = await ctx.kubeFor(request).request({ method: 'DELETE', path: paths.providerConfig(ns, name) });
      } catch (err) {
        if (isKubeStatus(err, 404)) throw providerMissing(ns, name);
        throw toHttpError(err, {
          kind: 'ProviderConfig',
          namespace: ns,
          name,
          verb: 'delete',
          resource: 'providerconfigs',
        });
      }
      await waitVisible(ctx.providers, deleted);
      let credentialsDeleted = false;
      const ref = ((pc.spec ?? {}) as ProviderSpec).credentialsRef;
      const secretNs = ref?.namespace || ns;
      if (ref?.name && secretNs === ns) {
        try {
          const secret = await ctx.kube.request<SecretObject>({ method: 'GET', path: paths.secret(ns, ref.name) });
          const labels = secret.metadata?.labels ?? {};
          if (labels[LABEL_MANAGED_BY] === 'butler' && labels[LABEL_PROVIDER] === name) {
            await ctx.kube.request({ method: 'DELETE', path: paths.secret(ns, ref.name) });
            credentialsDeleted = true;
          }
        } catch (err) {
          if (!isKubeStatus(err, 404))
            request.log.error({ err, secret: `${ns}/${ref.name}` }, 'could not delete the credentials Secret');
        }
      }
      return { message: 'provider deleted', credentialsDeleted };
    },
  );
}
