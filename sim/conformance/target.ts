// The API server the conformance suite runs against: the one named by BUTLER_CONFORMANCE_KUBECONFIG,
// or else a fresh simulator.
import { connect, type KubeTarget } from './kube-http.js';

export interface ConformanceTarget {
  kube: KubeTarget;
  /** 'simulator' when this process started it, 'external' for a kubeconfig given by the environment. */
  kind: 'simulator' | 'external';
  /** Drops the watch history (simulator fault injection); absent on an external server. */
  compact?: () => void;
  /** gitVersion of GET /version, e.g. "v1.20.2". */
  version: string;
  minor: number;
  /** A second connection to the same server that authenticates with `bearerToken` only. */
  connectWithToken(bearerToken: string): Promise<KubeTarget>;
  stop(): Promise<void>;
}

export async function openTarget(): Promise<ConformanceTarget> {
  const external = process.env.BUTLER_CONFORMANCE_KUBECONFIG;
  if (external) {
    const kube = await connect(external);
    return withVersion({
      kube,
      kind: 'external',
      connectWithToken: (bearerToken) => connect(external, { bearerToken }),
      stop: async () => kube.close(),
    });
  }
  const { startSimulator } = await import('../index.js');
  const sim = await startSimulator({ bookmarkIntervalMs: 500 });
  try {
    const kube = await connect(sim.kubeconfigPath);
    return await withVersion({
      kube,
      kind: 'simulator',
      compact: () => sim.faults.compact(),
      connectWithToken: (bearerToken) => connect(sim.kubeconfigPath, { bearerToken }),
      stop: async () => {
        kube.close();
        await sim.stop();
      },
    });
  } catch (err) {
    await sim.stop();
    throw err;
  }
}

async function withVersion(t: Omit<ConformanceTarget, 'version' | 'minor'>): Promise<ConformanceTarget> {
  const res = await t.kube.request('GET', '/version');
  if (res.status !== 200) throw new Error(`GET /version: ${res.status} ${res.text}`);
  const version = String(res.body.gitVersion);
  const minor = parseInt(String(res.body.minor), 10);
  return { ...t, version, minor };
}
