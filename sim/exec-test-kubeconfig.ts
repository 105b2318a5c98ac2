// Loads the simulator's kubeconfig for @kubernetes/client-node in exec tests.
import { KubeConfig } from '@kubernetes/client-node';

/**
 * client-node 1.4 refuses a plain-HTTP server unless the cluster says insecure-skip-tls-verify; the simulator
 * serves HTTP on loopback. When the kubeconfig file lacks that flag, it is set here on the loaded copy.
 */
export function loadSimKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  if (kc.clusters.every((c) => !c.server.startsWith('http://') || c.skipTLSVerify)) return kc;
  const fixed = new KubeConfig();
  fixed.loadFromOptions({
    clusters: kc.clusters.map((c) => ({ ...c, skipTLSVerify: c.server.startsWith('http://') || c.skipTLSVerify })),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return fixed;
}
