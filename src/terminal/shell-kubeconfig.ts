// The kubeconfig a management shell gets (docs/api.md §6.3): BUTLER_MANAGEMENT_TERMINAL_KUBECONFIG as it is, else one
// for the server's own connection: for a kubeconfig file, its current context only (file paths made absolute); for
// the in-cluster service account, `tokenFile` and `certificate-authority` pointing at the mounted files, so no
// secret is copied.
import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import type { Config } from '../config/types.js';

type Obj = Record<string, unknown>;

/** Drops undefined and empty values so the YAML has only what is set. */
function compact(o: Obj): Obj {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '' && v !== false));
}

/** The current context of a loaded KubeConfig as a standalone kubeconfig document. */
export function currentContextKubeconfig(kc: KubeConfig): string {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  const context = kc.getContextObject(kc.getCurrentContext());
  if (!cluster || !user) throw new Error('the management kubeconfig has no current cluster or user');
  const tokenFile =
    user.authProvider?.name === 'tokenFile' ? (user.authProvider.config as Obj | undefined)?.tokenFile : undefined;
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: cluster.name,
        cluster: compact({
          server: cluster.server,
          'certificate-authority-data': cluster.caData,
          'certificate-authority': cluster.caFile,
          'insecure-skip-tls-verify': cluster.skipTLSVerify,
          'tls-server-name': cluster.tlsServerName,
          'proxy-url': cluster.proxyUrl,
        }),
      },
    ],
    users: [
      {
        name: user.name,
        user: compact({
          token: user.token,
          tokenFile,
          'client-certificate-data': user.certData,
          'client-certificate': user.certFile,
          'client-key-data': user.keyData,
          'client-key': user.keyFile,
          username: user.username,
          password: user.password,
          exec: user.exec,
          'auth-provider': tokenFile ? undefined : user.authProvider,
          as: user.impersonateUser,
        }),
      },
    ],
    contexts: [
      {
        name: context?.name ?? 'management',
        context: compact({ cluster: cluster.name, user: user.name, namespace: context?.namespace }),
      },
    ],
    'current-context': context?.name ?? 'management',
  };
  return yaml.dump(doc, { lineWidth: -1 });
}

/**
 * The management shell's kubeconfig in pod mode: BUTLER_MANAGEMENT_TERMINAL_KUBECONFIG as it is, else the server's
 * cluster (address and CA, no credentials of the server) with the token of the terminal ServiceAccount, which the
 * pod gets as a projected volume at `tokenFile`.
 */
export function managementPodKubeconfig(config: Config, management: KubeConfig, tokenFile: string): string {
  if (config.terminal.managementKubeconfigPath) return readFileSync(config.terminal.managementKubeconfigPath, 'utf8');
  const cluster = management.getCurrentCluster();
  if (!cluster) throw new Error('the management connection has no cluster');
  const caData = cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined);
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'management',
        cluster: compact({
          server: cluster.server,
          'certificate-authority-data': caData,
          'insecure-skip-tls-verify': cluster.skipTLSVerify,
          'tls-server-name': cluster.tlsServerName,
        }),
      },
    ],
    users: [{ name: 'terminal', user: { tokenFile } }],
    contexts: [{ name: 'management', context: { cluster: 'management', user: 'terminal' } }],
    'current-context': 'management',
  };
  return yaml.dump(doc, { lineWidth: -1 });
}

/** The YAML for the management shell's KUBECONFIG. */
export function managementShellKubeconfig(config: Config, management: KubeConfig): string {
  if (config.terminal.managementKubeconfigPath) return readFileSync(config.terminal.managementKubeconfigPath, 'utf8');
  return currentContextKubeconfig(management);
}
