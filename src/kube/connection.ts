import { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../config/types.js';

const loaded = new WeakMap<Config['kube'], KubeConfig>();

/**
 * The management cluster's credentials: a kubeconfig file (flag or KUBECONFIG) or the in-cluster service account.
 * Loaded once per Config: the management client, the proxy's upgrades and the terminal's exec sockets then share
 * one KubeConfig, and so one refreshed set of credentials (credentials.ts).
 */
export function loadManagementKubeConfig(c: Config['kube']): KubeConfig {
  const known = loaded.get(c);
  if (known) return known;
  const kc = new KubeConfig();
  if (c.source === 'in-cluster') {
    kc.loadFromCluster();
  } else {
    if (!c.kubeconfigPath) throw new Error(`kubeconfig path missing for source ${c.source}`);
    kc.loadFromFile(c.kubeconfigPath);
  }
  if (!kc.getCurrentCluster()) throw new Error('kubeconfig has no current cluster');
  loaded.set(c, kc);
  return kc;
}
