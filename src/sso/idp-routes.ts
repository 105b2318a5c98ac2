// /api/admin/identity-providers: IdentityProvider objects with their client secret kept in a Secret of the system
// namespace (`<name>-oidc-secret`, key client-secret) that answers never contain; discovery test and validate.
// Who may call which route is decided by the central policy (platform viewers read, platform admins write). The
// IdentityProvider objects are read and written as the requesting user (kubeFor: impersonated, so the management
// cluster's RBAC and audit log see the administrator); their client-secret Secrets are the server's own.
// Request fields are declared but left loose (Type.Unknown): the hand checks below give the API's long-standing
// messages, which a typed schema would word differently.
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { K8sObject } from '../api/schemas.js';
import type { Config } from '../config/types.js';
import type { App } from '../http/app-type.js';
import { badRequest, conflict, HttpError, notFound } from '../http/errors.js';
import type { KubeObject } from '../kube/cache.js';
import type { KubeClient } from '../kube/client.js';
import { isKubeStatus, toHttpError } from '../kube/errors.js';
import { type IdentityProviderObject, type SsoRegistry } from './registry.js';
import { BUTLER_API_VERSION, paths } from '../kube/butler.js';

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_IDP = 'butler.butlerlabs.dev/identity-provider';
const SECRET_KEY = 'client-secret';
const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_FIELD = 2048;

export interface IdpRouteDeps {
  config: Config;
  /** The server's own client: the client-secret Secrets. */
  kube: KubeClient;
  /** The client for the request's user: the IdentityProvider objects. */
  kubeFor(request: FastifyRequest): KubeClient;
  registry: SsoRegistry;
}

const field = (description: string) => Type.Optional(Type.Unknown({ description }));
const FIELD_TEXT = `string of at most ${MAX_FIELD} characters`;

const IdpFields = {
  displayName: field(FIELD_TEXT),
  issuerURL: field(`https:// URL, ${FIELD_TEXT}`),
  clientID: field(FIELD_TEXT),
  clientSecret: field(`${FIELD_TEXT}; kept in a Secret, never answered`),
  redirectURL: field(`http:// or https:// URL, ${FIELD_TEXT}`),
  scopes: field('list of scope names'),
  hostedDomain: field(FIELD_TEXT),
  groupsClaim: field(FIELD_TEXT),
  emailClaim: field(FIELD_TEXT),
  insecureSkipVerify: field('only false is accepted: trust the IdP certificate with BUTLER_OIDC_CA_FILE'),
};

const CreateIdpBody = Type.Object(
  {
    name: field('lowercase DNS name'),
    ...IdpFields,
  },
  {
    title: 'CreateIdentityProviderRequest',
    description: 'name, issuerURL, clientID, clientSecret and redirectURL are required',
  },
);

const UpdateIdpBody = Type.Object(IdpFields, {
  title: 'UpdateIdentityProviderRequest',
  description: 'Only the fields given change',
});

const TestIdpBody = Type.Object(
  { issuerURL: field('Required: https:// URL of the issuer') },
  { title: 'TestIdentityProviderRequest' },
);

type Body = Partial<Record<'name' | keyof typeof IdpFields, unknown>>;

const NameParams = Type.Object({ name: Type.String({ description: 'The identity provider' }) });

const IdentityProviderSchema = K8sObject('IdentityProvider');

const DiscoveryAnswer = Type.Object(
  {
    valid: Type.Boolean(),
    message: Type.String(),
    authorizationEndpoint: Type.Optional(Type.String()),
    tokenEndpoint: Type.Optional(Type.String()),
    userInfoEndpoint: Type.Optional(Type.String()),
    jwksURI: Type.Optional(Type.String()),
  },
  { title: 'OidcDiscoveryResult' },
);

const DeleteIdpAnswer = Type.Object({
  status: Type.Union([Type.Literal('deleted'), Type.Literal('cleaned')], {
    description: 'cleaned: the provider was gone and its orphaned client secret was removed',
  }),
  message: Type.String(),
});

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

const secretNameFor = (idp: string) => `${idp}-oidc-secret`;

function text(body: Body, field: keyof Body, required: boolean): string | undefined {
  const v = body[field];
  if (v === undefined || v === null || v === '') {
    if (required) throw badRequest(`${field} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw badRequest(`${field} must be a string`);
  if (v.length > MAX_FIELD) throw badRequest(`${field} is too long (at most ${MAX_FIELD} characters)`);
  return v.trim();
}

function checkUrl(field: string, value: string | undefined, httpsOnly: boolean): void {
  if (value === undefined) return;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badRequest(`${field} is not a valid URL`);
  }
  if (httpsOnly ? url.protocol !== 'https:' : !['https:', 'http:'].includes(url.protocol))
    throw badRequest(`${field} must start with ${httpsOnly ? 'https://' : 'http:// or https://'}`);
  if (url.username || url.password) throw badRequest(`${field} must not contain credentials`);
}

const isScopeList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string' && /^[\x21-\x7e]{1,128}$/.test(s));

function scopesOf(body: Body): string[] | undefined {
  if (body.scopes === undefined || body.scopes === null) return undefined;
  if (!isScopeList(body.scopes)) throw badRequest('scopes must be a list of scope names');
  return body.scopes.length > 0 ? body.scopes : undefined;
}

function insecureOf(body: Body): void {
  if (body.insecureSkipVerify === true)
    throw badRequest('insecureSkipVerify is not supported: trust the IdP certificate with BUTLER_OIDC_CA_FILE instead');
  if (body.insecureSkipVerify !== undefined && typeof body.insecureSkipVerify !== 'boolean')
    throw badRequest('insecureSkipVerify must be a boolean');
}

export function registerIdpRoutes(app: App, deps: IdpRouteDeps): void {
  const { config, kube, kubeFor, registry } = deps;
  const ns = config.systemNamespace;
  const idpPath = paths.identityProvider;
  const secretPath = (name: string, namespace = ns) => paths.secret(namespace, name);
  const kubeError = (err: unknown, name: string, kind = 'IdentityProvider') =>
    toHttpError(err, { kind, name, verb: 'get', resource: kind === 'Secret' ? 'secrets' : 'identityproviders' });
  const notFoundMessage = (name: string) => `identity provider "${name}" not found`;

  async function getIdp(request: FastifyRequest, name: string): Promise<IdentityProviderObject> {
    try {
      return await kubeFor(request).request<IdentityProviderObject>({ method: 'GET', path: idpPath(name) });
    } catch (err) {
      if (isKubeStatus(err, 404)) throw notFound(notFoundMessage(name));
      throw kubeError(err, name);
    }
  }

  async function getSecret(name: string, namespace = ns): Promise<SecretObject | undefined> {
    try {
      return await kube.request<SecretObject>({ method: 'GET', path: secretPath(name, namespace) });
    } catch (err) {
      if (isKubeStatus(err, 404)) return undefined;
      throw kubeError(err, name, 'Secret');
    }
  }

  const secretBody = (idp: string, value: string, resourceVersion?: string) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: secretNameFor(idp),
      namespace: ns,
      labels: { [LABEL_MANAGED_BY]: 'butler', [LABEL_IDP]: idp },
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    data: { [SECRET_KEY]: Buffer.from(value, 'utf8').toString('base64') },
  });

  /** Creates or replaces `<idp>-oidc-secret`; a Secret of that name that Butler does not manage is a conflict. */
  async function writeSecret(idp: string, value: string): Promise<void> {
    const existing = await getSecret(secretNameFor(idp));
    if (existing && existing.metadata.labels?.[LABEL_IDP] !== idp)
      throw conflict(`secret ${ns}/${secretNameFor(idp)} already exists and is not managed by Butler`);
    try {
      if (existing)
        await kube.request({
          method: 'PUT',
          path: secretPath(secretNameFor(idp)),
          body: secretBody(idp, value, existing.metadata.resourceVersion),
        });
      else
        await kube.request({
          method: 'POST',
          path: paths.secrets(ns),
          body: secretBody(idp, value),
        });
    } catch (err) {
      throw toHttpError(err, { kind: 'Secret', name: secretNameFor(idp), verb: 'create', resource: 'secrets' });
    }
  }

  async function deleteSecret(name: string, namespace = ns): Promise<boolean> {
    try {
      await kube.request({ method: 'DELETE', path: secretPath(name, namespace) });
      return true;
    } catch {
      return false;
    }
  }

  async function discoveryResult(issuer: string) {
    try {
      const m = await registry.discover(issuer);
      return {
        valid: true,
        message: 'OIDC discovery successful',
        ...(m.authorization_endpoint ? { authorizationEndpoint: m.authorization_endpoint } : {}),
        ...(m.token_endpoint ? { tokenEndpoint: m.token_endpoint } : {}),
        ...(m.userinfo_endpoint ? { userInfoEndpoint: m.userinfo_endpoint } : {}),
        ...(m.jwks_uri ? { jwksURI: m.jwks_uri } : {}),
      };
    } catch (err) {
      const parts: string[] = [];
      for (let e: unknown = err, i = 0; e && i < 4; e = (e as { cause?: unknown }).cause, i++)
        if (e instanceof Error) parts.push(e.message);
      return { valid: false, message: `OIDC discovery failed: ${parts.join(': ').slice(0, 400)}` };
    }
  }

  app.get(
    '/api/admin/identity-providers',
    {
      schema: {
        summary: 'The identity providers (never their client secrets)',
        response: { 200: Type.Object({ identityProviders: Type.Array(IdentityProviderSchema) }) },
      },
    },
    async (request) => {
      try {
        const list = await kubeFor(request).request<{ items?: IdentityProviderObject[] }>({
          method: 'GET',
          path: paths.identityProviders(),
        });
        return { identityProviders: list.items ?? [] };
      } catch (err) {
        throw toHttpError(err, { kind: 'IdentityProvider', verb: 'list', resource: 'identityproviders' });
      }
    },
  );

  app.get(
    '/api/admin/identity-providers/:name',
    {
      schema: { summary: 'One identity provider', params: NameParams, response: { 200: IdentityProviderSchema } },
    },
    async (request) => getIdp(request, request.params.name),
  );

  app.post(
    '/api/admin/identity-providers',
    {
      schema: {
        summary: 'Create an OIDC identity provider; its client secret goes to a Secret of the system namespace',
        body: CreateIdpBody,
        response: { 201: IdentityProviderSchema },
      },
    },
    async (request, reply) => {
      const body: Body = request.body;
      const name = text(body, 'name', true)!;
      if (!DNS_NAME.test(name) || name.length > 240)
        throw badRequest('name must be a lowercase DNS name (letters, digits, "-" and ".")');
      const issuerURL = text(body, 'issuerURL', true)!;
      const clientID = text(body, 'clientID', true)!;
      const clientSecret = text(body, 'clientSecret', true)!;
      const redirectURL = text(body, 'redirectURL', true)!;
      checkUrl('issuerURL', issuerURL, true);
      checkUrl('redirectURL', redirectURL, false);
      insecureOf(body);
      const scopes = scopesOf(body);
      const optional = {
        displayName: text(body, 'displayName', false),
        hostedDomain: text(body, 'hostedDomain', false),
        groupsClaim: text(body, 'groupsClaim', false),
        emailClaim: text(body, 'emailClaim', false),
      };
      try {
        await kubeFor(request).request({ method: 'GET', path: idpPath(name) });
        throw conflict(`identity provider "${name}" already exists`);
      } catch (err) {
        if (err instanceof HttpError) throw err;
        if (!isKubeStatus(err, 404)) throw kubeError(err, name);
      }
      await writeSecret(name, clientSecret);
      const object = {
        apiVersion: BUTLER_API_VERSION,
        kind: 'IdentityProvider',
        metadata: { name },
        spec: {
          type: 'oidc',
          ...(optional.displayName ? { displayName: optional.displayName } : {}),
          oidc: {
            issuerURL,
            clientID,
            clientSecretRef: { name: secretNameFor(name), namespace: ns, key: SECRET_KEY },
            redirectURL,
            ...(scopes ? { scopes } : {}),
            ...(optional.hostedDomain ? { hostedDomain: optional.hostedDomain } : {}),
            ...(optional.groupsClaim ? { groupsClaim: optional.groupsClaim } : {}),
            ...(optional.emailClaim ? { emailClaim: optional.emailClaim } : {}),
          },
        },
      };
      try {
        const created = await kubeFor(request).request<IdentityProviderObject>({
          method: 'POST',
          path: paths.identityProviders(),
          body: object,
        });
        reply.code(201);
        return created;
      } catch (err) {
        await deleteSecret(secretNameFor(name));
        throw toHttpError(err, { kind: 'IdentityProvider', name, verb: 'create', resource: 'identityproviders' });
      }
    },
  );

  app.put(
    '/api/admin/identity-providers/:name',
    {
      schema: {
        summary: 'Change an identity provider (and its client secret)',
        params: NameParams,
        body: UpdateIdpBody,
        response: { 200: IdentityProviderSchema },
      },
    },
    async (request) => {
      const name = request.params.name;
      const body: Body = request.body;
      const fields = {
        displayName: text(body, 'displayName', false),
        issuerURL: text(body, 'issuerURL', false),
        clientID: text(body, 'clientID', false),
        clientSecret: text(body, 'clientSecret', false),
        redirectURL: text(body, 'redirectURL', false),
        hostedDomain: text(body, 'hostedDomain', false),
        groupsClaim: text(body, 'groupsClaim', false),
        emailClaim: text(body, 'emailClaim', false),
      };
      checkUrl('issuerURL', fields.issuerURL, true);
      checkUrl('redirectURL', fields.redirectURL, false);
      insecureOf(body);
      const scopes = scopesOf(body);
      const current = await getIdp(request, name);
      const spec = { ...(current.spec ?? {}) };
      const oidcSpec = { ...(spec.oidc ?? {}) };
      // A secret the administrator made by hand keeps its place (its key is updated); otherwise Butler's own.
      const ref = oidcSpec.clientSecretRef;
      const handMade =
        fields.clientSecret !== undefined && ref?.name && ref.name !== secretNameFor(name) ? ref : undefined;
      const handMadeSecret = handMade ? await getSecret(handMade.name!, handMade.namespace || ns) : undefined;
      if (handMade && !handMadeSecret)
        throw badRequest(`client secret ${handMade.namespace || ns}/${handMade.name} does not exist`);
      if (fields.clientSecret !== undefined && !handMade)
        oidcSpec.clientSecretRef = { name: secretNameFor(name), namespace: ns, key: SECRET_KEY };
      for (const k of ['issuerURL', 'clientID', 'redirectURL', 'hostedDomain', 'groupsClaim', 'emailClaim'] as const) {
        if (fields[k] !== undefined) oidcSpec[k] = fields[k];
      }
      if (scopes) oidcSpec.scopes = scopes;
      oidcSpec.insecureSkipVerify = false;
      if (fields.displayName !== undefined) spec.displayName = fields.displayName;
      spec.oidc = oidcSpec;
      const writeIdp = async (dryRun: boolean) => {
        try {
          return await kubeFor(request).request<IdentityProviderObject>({
            method: 'PUT',
            path: idpPath(name),
            ...(dryRun ? { query: { dryRun: 'All' } } : {}),
            body: { ...current, spec },
          });
        } catch (err) {
          throw toHttpError(err, { kind: 'IdentityProvider', name, verb: 'update', resource: 'identityproviders' });
        }
      };
      if (fields.clientSecret !== undefined) {
        // The object's update is tried first (server-side dry run, as the administrator): a refusal (rights, a
        // conflict, an invalid field) must not leave the new secret beside the old settings.
        await writeIdp(true);
        if (handMade && handMadeSecret) {
          const refNs = handMade.namespace || ns;
          const data = {
            ...(handMadeSecret.data ?? {}),
            [handMade.key || SECRET_KEY]: Buffer.from(fields.clientSecret).toString('base64'),
          };
          try {
            await kube.request({
              method: 'PUT',
              path: secretPath(handMade.name!, refNs),
              body: { ...handMadeSecret, data },
            });
          } catch (err) {
            throw toHttpError(err, { kind: 'Secret', name: handMade.name, verb: 'update', resource: 'secrets' });
          }
        } else {
          await writeSecret(name, fields.clientSecret);
        }
      }
      return writeIdp(false);
    },
  );

  app.delete(
    '/api/admin/identity-providers/:name',
    {
      schema: {
        summary: 'Delete an identity provider and the client secret Butler made for it',
        params: NameParams,
        response: { 200: DeleteIdpAnswer },
      },
    },
    async (request) => {
      const name = request.params.name;
      let current: IdentityProviderObject | undefined;
      try {
        current = await kubeFor(request).request<IdentityProviderObject>({ method: 'GET', path: idpPath(name) });
      } catch (err) {
        if (!isKubeStatus(err, 404)) throw kubeError(err, name);
      }
      if (!current) {
        const orphan = await getSecret(secretNameFor(name));
        if (orphan?.metadata.labels?.[LABEL_IDP] === name && (await deleteSecret(secretNameFor(name))))
          return {
            status: 'cleaned' as const,
            message: `removed the orphaned client secret of identity provider "${name}"`,
          };
        throw notFound(notFoundMessage(name));
      }
      try {
        await kubeFor(request).request({ method: 'DELETE', path: idpPath(name) });
      } catch (err) {
        if (isKubeStatus(err, 404)) throw notFound(notFoundMessage(name));
        throw toHttpError(err, { kind: 'IdentityProvider', name, verb: 'delete', resource: 'identityproviders' });
      }
      const ref = current.spec?.oidc?.clientSecretRef;
      // Only a Secret Butler made for this provider is removed; a hand-made one may be shared.
      const secret = await getSecret(ref?.name ?? secretNameFor(name), ref?.namespace || ns);
      if (secret?.metadata.labels?.[LABEL_IDP] === name)
        await deleteSecret(secret.metadata.name!, ref?.namespace || ns);
      return { status: 'deleted' as const, message: `identity provider "${name}" deleted` };
    },
  );

  app.post(
    '/api/admin/identity-providers/test',
    {
      schema: {
        summary: "Test an issuer's OIDC discovery document",
        body: TestIdpBody,
        response: { 200: DiscoveryAnswer },
      },
    },
    async (request) => {
      const issuerURL = text(request.body, 'issuerURL', true)!;
      checkUrl('issuerURL', issuerURL, true);
      return discoveryResult(issuerURL);
    },
  );

  app.post(
    '/api/admin/identity-providers/:name/validate',
    {
      schema: {
        summary: "Check the OIDC discovery of a stored identity provider's issuer",
        params: NameParams,
        response: { 200: DiscoveryAnswer },
      },
    },
    async (request) => {
      const current = await getIdp(request, request.params.name);
      const issuer = current.spec?.oidc?.issuerURL;
      if (!issuer) throw badRequest('identity provider has no issuer URL configured');
      return discoveryResult(issuer);
    },
  );
}
