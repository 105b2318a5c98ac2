// Shared set-up of the identity tests: a simulator like a Butler management cluster with two team namespaces and
// a ProviderConfig, the real server, and a small JSON client per session (cookie jar of one).
import { apiUsersRbac, butlerCrds } from '../../sim/crds.js';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { ns, providerConfig } from '../api/fixture.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

export interface Answer {
  status: number;
  // Answers are arbitrary JSON; tests narrow them with assertions.
  body: any;
  setCookie: string[];
}

export const teamObject = (name: string, users: { name: string; role: string }[] = []) => ({
  apiVersion: 'butler.butlerlabs.dev/v1alpha1',
  kind: 'Team',
  metadata: { name },
  spec: { displayName: name.toUpperCase(), access: { users, groups: [] } },
});

export const clusterObject = (namespace: string, name: string, team?: string) => ({
  apiVersion: 'butler.butlerlabs.dev/v1alpha1',
  kind: 'TenantCluster',
  metadata: { name, namespace },
  spec: {
    kubernetesVersion: 'v1.30.2',
    providerConfigRef: { name: 'harv', namespace: 'butler-system' },
    workers: { replicas: 1 },
    ...(team ? { teamRef: { name: team } } : {}),
  },
});

export const identitySeed = () => [
  ns('butler-system'),
  ns('butler-tenants'),
  ns('team-a'),
  ns('team-b'),
  providerConfig('harv', { provider: 'harvester', harvester: { networkName: 'default/vlan40' } }),
];

export async function startIdentityWorld(
  seed: object[] = identitySeed(),
): Promise<{ sim: Simulator; server: TestServer }> {
  const sim = await startSimulator({
    crds: butlerCrds(),
    seed: [...apiUsersRbac(), ...seed],
    bookmarkIntervalMs: 500,
  });
  try {
    const server = await startTestServer({ sim });
    return { sim, server };
  } catch (err) {
    await sim.stop();
    throw err;
  }
}

/** A client that keeps the session cookie it is given (as a browser would) and sends the console's Origin. */
export class Client {
  cookie = '';
  constructor(readonly base: string) {}

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        origin: this.base,
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const setCookie = res.headers.getSetCookie();
    const session = setCookie.find((c) => c.startsWith('butler_session='));
    if (session) {
      const value = session.split(';')[0]!;
      this.cookie = value === 'butler_session=' ? '' : value;
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // left as text for the assertion message
    }
    return { status: res.status, body: parsed, setCookie };
  }

  async login(username: string, password: string): Promise<Answer> {
    return this.call('POST', '/api/auth/login', { username, password });
  }
}

/** The invite token of an invite URL `<base>/invite/<token>`. */
export const inviteToken = (url: string) => /\/invite\/([0-9a-f]{64})$/.exec(url)?.[1] ?? '';

export async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
