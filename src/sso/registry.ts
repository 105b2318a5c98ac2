// The identity providers users can sign in with: every IdentityProvider object (type oidc) from a watch cache,
// turned into settings, plus the one of the BUTLER_OIDC_* settings when configured; and per provider an openid-client Configuration made by discovery (cached for a few
// minutes; a failed discovery is not cached, so an IdP that comes back is used again at once).
import * as oidc from 'openid-client';
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { createResourceCache, type KubeObject, type ResourceCache } from '../kube/cache.js';
import type { KubeClient } from '../kube/client.js';
import { groupLookupSet, groupMatches } from '../identity/membership.js';
import { paths } from '../kube/butler.js';
import { createIdpFetch } from './idp-fetch.js';

export const DEFAULT_SCOPES = ['openid', 'email', 'profile'];
/** The name of the provider of the BUTLER_OIDC_* settings: upper case, so no IdentityProvider object can have it. */
export const ENV_PROVIDER_NAME = 'BUTLER_OIDC';
const DISCOVERY_TTL_MS = 5 * 60_000;

import type { PlatformRole } from '../identity/roles.js';
export type { PlatformRole };

export interface IdpSettings {
  /** The IdentityProvider object's name (used in URLs and in the sign-in cookie). */
  name: string;
  /** What users see ("Sign in with <displayName>"); also the session's `provider`. */
  displayName: string;
  issuer: string;
  clientId: string;
  /** Where the client secret is (IdentityProvider objects; the settings' provider has it in the config). */
  secretRef?: { name: string; namespace: string; key: string };
  redirectUrl: string;
  scopes: string[];
  hostedDomain?: string;
  groupsClaim: string;
  emailClaim: string;
  platformRoleGroups: { name: string; role: PlatformRole }[];
}

export interface IdentityProviderObject extends KubeObject {
  spec?: {
    type?: string;
    displayName?: string;
    oidc?: {
      issuerURL?: string;
      clientID?: string;
      clientSecretRef?: { name?: string; namespace?: string; key?: string };
      redirectURL?: string;
      scopes?: string[];
      hostedDomain?: string;
      groupsClaim?: string;
      emailClaim?: string;
      insecureSkipVerify?: boolean;
    };
    platformRoleGroups?: { name?: string; role?: string }[];
  };
}

const nonEmpty = (x: unknown): x is string => typeof x === 'string' && x.trim() !== '';

const platformRoleGroupsOf = (o: IdentityProviderObject): IdpSettings['platformRoleGroups'] =>
  (o.spec?.platformRoleGroups ?? [])
    .filter((g) => nonEmpty(g?.name) && (g.role === 'admin' || g.role === 'viewer'))
    .map((g) => ({ name: g.name!, role: g.role as PlatformRole }));

/**
 * Settings of the BUTLER_OIDC_* provider. Its platform role groups are those of every IdentityProvider object
 * together (the settings have no place for them; manage them with kubectl on any IdentityProvider object).
 */
export function envProviderSettings(
  p: NonNullable<Config['sso']['envProvider']>,
  objects: readonly IdentityProviderObject[],
): IdpSettings {
  return {
    name: ENV_PROVIDER_NAME,
    displayName: p.displayName,
    issuer: p.issuer,
    clientId: p.clientId,
    redirectUrl: p.redirectUrl,
    scopes: [...p.scopes],
    ...(p.hostedDomain ? { hostedDomain: p.hostedDomain } : {}),
    groupsClaim: p.groupsClaim,
    emailClaim: p.emailClaim,
    platformRoleGroups: objects.flatMap(platformRoleGroupsOf),
  };
}

/** Settings of one object, or the reason it cannot be used for sign-in. */
export function idpSettings(o: IdentityProviderObject, systemNamespace: string): IdpSettings | { invalid: string } {
  const name = o.metadata?.name ?? '';
  const spec = o.spec ?? {};
  const c = spec.oidc ?? {};
  if (spec.type !== 'oidc') return { invalid: 'spec.type is not oidc' };
  if (!nonEmpty(c.issuerURL) || !c.issuerURL.startsWith('https://')) return { invalid: 'issuerURL must be https://' };
  if (!nonEmpty(c.clientID)) return { invalid: 'clientID is missing' };
  if (!nonEmpty(c.clientSecretRef?.name)) return { invalid: 'clientSecretRef is missing' };
  if (!nonEmpty(c.redirectURL) || !/^https?:\/\//.test(c.redirectURL)) return { invalid: 'redirectURL is missing' };
  if (c.insecureSkipVerify === true)
    return { invalid: 'insecureSkipVerify is not supported; trust the IdP certificate with BUTLER_OIDC_CA_FILE' };
  const scopes = (c.scopes ?? []).filter(nonEmpty);
  return {
    name,
    displayName: nonEmpty(spec.displayName) ? spec.displayName : name,
    issuer: c.issuerURL,
    clientId: c.clientID,
    secretRef: {
      name: c.clientSecretRef.name,
      namespace: nonEmpty(c.clientSecretRef.namespace) ? c.clientSecretRef.namespace : systemNamespace,
      key: nonEmpty(c.clientSecretRef.key) ? c.clientSecretRef.key : 'client-secret',
    },
    redirectUrl: c.redirectURL,
    scopes: scopes.length > 0 ? (scopes.includes('openid') ? scopes : ['openid', ...scopes]) : [...DEFAULT_SCOPES],
    ...(nonEmpty(c.hostedDomain) ? { hostedDomain: c.hostedDomain.trim().toLowerCase() } : {}),
    groupsClaim: nonEmpty(c.groupsClaim) ? c.groupsClaim : 'groups',
    emailClaim: nonEmpty(c.emailClaim) ? c.emailClaim : 'email',
    platformRoleGroups: platformRoleGroupsOf(o),
  };
}

export interface SsoRegistry {
  readonly synced: boolean;
  /** Usable providers, sorted by name. */
  list(): IdpSettings[];
  get(name: string): IdpSettings | undefined;
  /** The discovered client configuration (throws when the IdP or the client secret cannot be reached). */
  client(name: string): Promise<{ settings: IdpSettings; config: oidc.Configuration }>;
  /** The highest platform role the provider's platformRoleGroups give these groups (group names as teams match them). */
  platformRoleFor(idp: string | undefined, groups: readonly string[]): PlatformRole | undefined;
  /** Discovery of an arbitrary issuer (the admin "test" button), without client credentials. */
  discover(issuer: string): Promise<oidc.ServerMetadata>;
  start(): void;
  stop(): void;
}

interface Discovered {
  metadata: oidc.ServerMetadata;
  secret: string;
}

interface SecretObject {
  data?: Record<string, string>;
}

export function createSsoRegistry(
  config: Config,
  deps: { kube: KubeClient; log?: Logger; cache?: ResourceCache<IdentityProviderObject> },
): SsoRegistry {
  const cache =
    deps.cache ??
    createResourceCache<IdentityProviderObject>(deps.kube, {
      path: paths.identityProviders(),
      name: 'identityproviders',
      ...(deps.log ? { logger: deps.log } : {}),
    });
  const idpFetch = createIdpFetch(config.sso);
  const clients = new Map<string, { key: string; at: number; discovered: Promise<Discovered> }>();
  const warned = new Set<string>();

  const envProvider = config.sso.envProvider;
  const usable = (): IdpSettings[] => {
    const out: IdpSettings[] = [];
    if (envProvider) out.push(envProviderSettings(envProvider, cache.list()));
    for (const o of cache.list()) {
      const s = idpSettings(o, config.systemNamespace);
      if ('invalid' in s) {
        const key = `${o.metadata?.name}/${o.metadata?.resourceVersion}`;
        if (!warned.has(key)) {
          warned.add(key);
          deps.log?.warn({ idp: o.metadata?.name, reason: s.invalid }, 'identity provider not usable for sign-in');
        }
        continue;
      }
      out.push(s);
    }
    return out;
  };

  async function clientSecret(s: IdpSettings): Promise<string> {
    if (!s.secretRef) {
      if (s.name === ENV_PROVIDER_NAME && envProvider) return envProvider.clientSecret;
      throw new Error(`identity provider "${s.name}" has no client secret`);
    }
    const secret = await deps.kube.request<SecretObject>({
      method: 'GET',
      path: paths.secret(s.secretRef.namespace, s.secretRef.name),
    });
    const b64 = secret.data?.[s.secretRef.key];
    if (!b64)
      throw new Error(`client secret ${s.secretRef.namespace}/${s.secretRef.name} has no key ${s.secretRef.key}`);
    return Buffer.from(b64, 'base64').toString('utf8');
  }

  const timeoutSeconds = Math.max(1, Math.round(config.sso.timeoutMs / 1000));
  const options = (): oidc.DiscoveryRequestOptions => ({ [oidc.customFetch]: idpFetch, timeout: timeoutSeconds });

  /** Discovery (issuer checked by openid-client) and the client secret; both cached together. */
  async function discoverClient(s: IdpSettings): Promise<Discovered> {
    const secret = await clientSecret(s);
    const c = await oidc.discovery(new URL(s.issuer), s.clientId, secret, oidc.ClientSecretBasic(secret), options());
    return { metadata: c.serverMetadata(), secret };
  }

  /**
   * A fresh Configuration per use: openid-client keeps its JWKS cache per Configuration, so every sign-in and refresh
   * reads the IdP's current keys (one JWKS request) and a key the IdP has just rotated in is accepted at once, while a
   * key it has removed is not.
   */
  function configuration(s: IdpSettings, d: Discovered): oidc.Configuration {
    const c = new oidc.Configuration(
      d.metadata,
      s.clientId,
      { client_secret: d.secret, [oidc.clockTolerance]: config.sso.clockToleranceSeconds },
      oidc.ClientSecretBasic(d.secret),
    );
    c[oidc.customFetch] = idpFetch;
    c.timeout = timeoutSeconds;
    // Without this openid-client trusts ID tokens from the token endpoint on TLS alone; Butler checks the signature.
    oidc.enableNonRepudiationChecks(c);
    return c;
  }

  return {
    get synced() {
      return cache.synced;
    },
    list: () => usable().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    get: (name) => usable().find((s) => s.name === name),
    async client(name) {
      const settings = usable().find((s) => s.name === name);
      if (!settings) throw new Error(`identity provider "${name}" is not configured`);
      const key = JSON.stringify(settings);
      let entry = clients.get(name);
      if (!entry || entry.key !== key || Date.now() - entry.at > DISCOVERY_TTL_MS) {
        entry = { key, at: Date.now(), discovered: discoverClient(settings) };
        clients.set(name, entry);
        const mine = entry;
        mine.discovered.catch(() => {
          if (clients.get(name) === mine) clients.delete(name);
        });
      }
      return { settings, config: configuration(settings, await entry.discovered) };
    },
    platformRoleFor(idp, groups) {
      if (!idp || groups.length === 0) return undefined;
      const settings = usable().find((s) => s.name === idp);
      if (!settings) return undefined;
      const lookup = groupLookupSet(groups);
      let role: PlatformRole | undefined;
      for (const g of settings.platformRoleGroups) {
        if (groupMatches(g.name, lookup) && role !== 'admin') role = g.role;
      }
      return role;
    },
    async discover(issuer) {
      const c = await oidc.discovery(new URL(issuer), 'butler-discovery-test', undefined, oidc.None(), options());
      return c.serverMetadata();
    },
    start() {
      cache.start();
      // Discovery at start: a wrong issuer or an unreachable IdP shows in the log at once, not at the first sign-in.
      if (envProvider)
        this.client(ENV_PROVIDER_NAME).then(
          () => deps.log?.info({ issuer: envProvider.issuer }, 'single sign-on (BUTLER_OIDC_*): discovery succeeded'),
          (err: unknown) =>
            deps.log?.error(
              { issuer: envProvider.issuer, err: err instanceof Error ? err.message : String(err) },
              'single sign-on (BUTLER_OIDC_*): discovery failed; sign-in will retry it',
            ),
        );
    },
    stop: () => cache.stop(),
  };
}
