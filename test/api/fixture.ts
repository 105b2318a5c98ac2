// Shared set-up of the API tests: a simulator loaded with the Butler CRDs and a few objects, the real server, and
// a small authenticated JSON client.
import { startSimulator, type Simulator } from '../../sim/index.js';
import { apiUsersRbac, butlerCrds } from '../../sim/crds.js';
import { kamajiCrds } from '../../sim/kamaji-crds.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

export const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

export const providerConfig = (name: string, spec: Record<string, unknown>, namespace = 'butler-system') => ({
  apiVersion: 'butler.butlerlabs.dev/v1alpha1',
  kind: 'ProviderConfig',
  metadata: { name, namespace },
  spec: { credentialsRef: { name: `${name}-credentials` }, ...spec },
});

export const baseSeed = () => [
  ns('butler-system'),
  ns('butler-tenants'),
  providerConfig('harv', { provider: 'harvester', harvester: { networkName: 'default/vlan40' } }),
  providerConfig('harv-nonet', { provider: 'harvester' }),
  providerConfig('ntnx', {
    provider: 'nutanix',
    nutanix: {
      endpoint: 'https://pc.example:9440',
      clusterUUID: '00000000-0000-0000-0000-000000000001',
      subnetUUID: '00000000-0000-0000-0000-000000000002',
    },
  }),
  providerConfig('pmx', {
    provider: 'proxmox',
    proxmox: { endpoint: 'https://pve:8006', nodes: ['pve1'], storage: 'local-lvm' },
  }),
];

export interface ApiEnv {
  sim: Simulator;
  server: TestServer;
  token: string;
  api: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<ApiAnswer>;
  close(): Promise<void>;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // Answers are arbitrary JSON; tests narrow them with assertions.
  body: any;
}

export async function startApiEnv(o: { seed?: object[]; env?: Record<string, string> } = {}): Promise<ApiEnv> {
  // The RBAC of deploy/base/api-users.yaml: writes on behalf of a user are sent impersonated and decided by it.
  const sim = await startSimulator({
    crds: [...butlerCrds(), ...kamajiCrds()],
    seed: [...apiUsersRbac(), ...(o.seed ?? baseSeed())],
    bookmarkIntervalMs: 1000,
  });
  let server: TestServer;
  try {
    server = await startTestServer({ sim, env: o.env });
  } catch (err) {
    await sim.stop();
    throw err;
  }
  const { token } = await server.login();
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // left as text: the assertion on it will say what came back
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
  return {
    sim,
    server,
    token,
    api,
    async close() {
      await server.close();
      await sim.stop();
    },
  };
}

/** Reads an object straight from the simulator (bypassing butler-server). */
export async function simGet(sim: Simulator, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sim.url}${path}`, { headers: { authorization: `Bearer ${sim.token}` } });
  return { status: res.status, body: await res.json() };
}

export async function simPost(sim: Simulator, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
