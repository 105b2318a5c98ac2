import { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../config/types.js';

/**
 * The management cluster's credentials: a kubeconfig file (flag or KUBECONFIG) or the in-cluster service account.
 * Loaded once, by buildServices (services.managementKubeConfig): the management client, the proxy's upgrades and the
 * terminal's exec sockets share it, and so one refreshed set of credentials (credentials.ts).
 */
export function loadManagementKubeConfig(c: Config['kube']): KubeConfig {
  const kc = new KubeConfig();
  if (c.source === 'in-cluster') {
    kc.loadFromCluster();
  } else {
    if (!c.kubeconfigPath) throw new Error(`kubeconfig path missing for source ${c.source}`);
    kc.loadFromFile(c.kubeconfigPath);
  }
  if (!kc.getCurrentCluster()) throw new Error('kubeconfig has no current cluster');
  return kc;
}
