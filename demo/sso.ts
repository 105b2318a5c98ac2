// Single sign-on in the demo: a real OpenID Provider (test/helpers/oidc-idp.ts) on https://127.0.0.1 with three users,
// the IdentityProvider object Butler signs in with; the demo's teams (demo/identity.ts) bind its groups, which give
// those users their roles: a platform admin (group butler-platform-admins), an operator of team payments and a viewer
// of team analytics.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSelfSignedCert } from '../sim/tls.js';
import type { KubeClient } from '../src/kube/client.js';
import type { IdpUser, TestIdp } from '../test/helpers/oidc-idp.js';

export const DEMO_IDP_NAME = 'demo-sso';
export const DEMO_IDP_DISPLAY_NAME = 'Demo SSO';
export const PLATFORM_ADMIN_GROUP = 'butler-platform-admins';

export interface DemoSsoUser extends IdpUser {
  /** What the user is in Butler, for the printed list. */
  role: string;
}

export interface DemoSso {
  idp: TestIdp;
  users: DemoSsoUser[];
  /** Objects for the management cluster: the client secret and the IdentityProvider. */
  objects(serverUrl: string): object[];
  /** Registers Butler as a client of the IdP (redirect URL of the running server). */
  registerClient(serverUrl: string): void;
  stop(): Promise<void>;
}

/** The IdP's serving certificate, made before anything starts: the server's settings name its file. */
export interface DemoIdpTls {
  key: string;
  cert: string;
  dir: string;
  /** BUTLER_* settings the server needs to reach and trust the IdP. */
  env: Record<string, string>;
}

export function demoIdpTls(): DemoIdpTls {
  const tls = generateSelfSignedCert({ cn: '127.0.0.1', subjectAltName: 'IP:127.0.0.1,DNS:localhost', days: 30 });
  const dir = mkdtempSync(join(tmpdir(), 'butler-demo-idp-'));
  writeFileSync(join(dir, 'ca.pem'), tls.cert);
  return {
    ...tls,
    dir,
    env: { BUTLER_OIDC_CA_FILE: join(dir, 'ca.pem'), BUTLER_OIDC_ALLOWED_CIDRS: '127.0.0.0/8' },
  };
}

const password = () => randomBytes(9).toString('base64url');

export async function startDemoSso(tls: DemoIdpTls): Promise<DemoSso> {
  const users: DemoSsoUser[] = [
    {
      login: 'alice',
      password: password(),
      email: 'alice@butler-demo.example',
      name: 'Alice Admin',
      groups: [PLATFORM_ADMIN_GROUP],
      role: 'platform admin',
    },
    {
      login: 'oscar',
      password: password(),
      email: 'oscar@butler-demo.example',
      name: 'Oscar Operator',
      groups: ['payments-operators'],
      role: 'operator of team payments',
    },
    {
      login: 'vera',
      password: password(),
      email: 'vera@butler-demo.example',
      name: 'Vera Viewer',
      groups: ['analytics-viewers'],
      role: 'viewer of team analytics',
    },
  ];
  // Loaded on demand: the OpenID Provider (a dev dependency) then loads while the simulators start.
  const { startTestIdp } = await import('../test/helpers/oidc-idp.js');
  const idp = await startTestIdp({ users, tls: { key: tls.key, cert: tls.cert } });
  const clientId = 'butler-demo';
  const clientSecret = randomBytes(24).toString('base64url');
  const callback = (url: string) => `${url}/api/auth/callback`;
  return {
    idp,
    users,
    registerClient(serverUrl) {
      idp.addClient({
        clientId,
        clientSecret,
        redirectUris: [callback(serverUrl)],
        postLogoutRedirectUris: [`${serverUrl}/login`],
      });
    },
    objects(serverUrl) {
      return [
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name: `${DEMO_IDP_NAME}-oidc-secret`,
            namespace: 'butler-system',
            labels: {
              'app.kubernetes.io/managed-by': 'butler',
              'butler.butlerlabs.dev/identity-provider': DEMO_IDP_NAME,
            },
          },
          type: 'Opaque',
          data: { 'client-secret': Buffer.from(clientSecret).toString('base64') },
        },
        {
          apiVersion: 'butler.butlerlabs.dev/v1alpha1',
          kind: 'IdentityProvider',
          metadata: { name: DEMO_IDP_NAME },
          spec: {
            type: 'oidc',
            displayName: DEMO_IDP_DISPLAY_NAME,
            oidc: {
              issuerURL: idp.issuer,
              clientID: clientId,
              clientSecretRef: {
                name: `${DEMO_IDP_NAME}-oidc-secret`,
                namespace: 'butler-system',
                key: 'client-secret',
              },
              redirectURL: callback(serverUrl),
              scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
            },
            platformRoleGroups: [{ name: PLATFORM_ADMIN_GROUP, role: 'admin' }],
          },
        },
      ];
    },
    stop: () => idp.stop(),
  };
}

/** Creates the SSO objects (the teams binding the IdP's groups come with the seed: demo/identity.ts). */
export async function seedDemoSso(kube: KubeClient, sso: DemoSso, serverUrl: string): Promise<void> {
  for (const o of sso.objects(serverUrl)) {
    const kind = (o as { kind: string }).kind;
    const path =
      kind === 'Secret'
        ? '/api/v1/namespaces/butler-system/secrets'
        : '/apis/butler.butlerlabs.dev/v1alpha1/identityproviders';
    await kube.request({ method: 'POST', path, body: o });
  }
}
