// Resolving a terminal target and starting its backend (docs/api.md §6.3): the TenantCluster and its kubeconfig (§9.2),
// the pod and its container; anything missing is a 4404 refusal, other failures a 1011 with the mapped message.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../config/types.js';
import { HttpError } from '../http/errors.js';
import type { KubeClient } from '../kube/client.js';
import { toHttpError } from '../kube/errors.js';
import type { TenantClusterAccess } from '../kube/tenant-access.js';
import type { TerminalBackend } from './backend.js';
import { CLOSE } from './close-codes.js';
import { LocalShell } from './local-shell.js';
import { PodExec } from './pod-exec.js';
import type { KubeSocketFailure } from './kube-websocket.js';
import { managementPodKubeconfig, managementShellKubeconfig } from './shell-kubeconfig.js';
import { TOKEN_DIR } from './shell-pod-spec.js';
import type { ShellPods } from './shell-pods.js';
import { TerminalRefusal } from './refusal.js';
import type { TerminalTarget } from './target.js';
import { paths } from '../kube/butler.js';

export { TerminalRefusal };

const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

export interface TargetDeps {
  config: Config;
  /** The management cluster: its client and the server's own credentials. */
  kube: KubeClient;
  managementKubeConfig: KubeConfig;
  tenants: TenantClusterAccess;
  /** Pod mode: shells run in pods. Absent in local mode. */
  shellPods?: ShellPods;
}

/** The new session a shell is opened for (pod mode labels its pod with these). */
export interface ShellSession {
  id: string;
  user: string;
  path: string;
}

export interface OpenedTarget {
  backend: TerminalBackend;
  showExitStatus: boolean;
  /** Taken over from another replica: its scrollback stayed there, so the shell is asked to redraw instead. */
  redrawOnAttach?: boolean;
}

interface PodObject {
  metadata?: { annotations?: Record<string, string> };
  spec?: { containers?: { name?: string }[]; initContainers?: { name?: string }[] };
}

function refusalFrom(err: unknown): TerminalRefusal {
  if (err instanceof TerminalRefusal) return err;
  if (err instanceof HttpError)
    return new TerminalRefusal(err.status === 404 ? CLOSE.notFound : CLOSE.internalError, err.message);
  return new TerminalRefusal(CLOSE.internalError, 'terminal could not be started');
}

/** The container: the path segment, else the default-container annotation, else the first container. */
export function chooseContainer(pod: PodObject, requested: string | undefined, ref: string): string {
  const names = (pod.spec?.containers ?? []).map((c) => c.name ?? '').filter(Boolean);
  const all = [...names, ...(pod.spec?.initContainers ?? []).map((c) => c.name ?? '')];
  if (requested) {
    if (!all.includes(requested))
      throw new TerminalRefusal(CLOSE.notFound, `container "${requested}" not found in pod ${ref}`);
    return requested;
  }
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated && names.includes(annotated)) return annotated;
  const first = names[0];
  if (!first) throw new TerminalRefusal(CLOSE.notFound, `pod ${ref} has no containers`);
  return first;
}

async function getPod(client: KubeClient, namespace: string, name: string, api: 'management' | 'tenant') {
  try {
    return await client.request<PodObject>({
      method: 'GET',
      path: paths.pod(namespace, name),
    });
  } catch (err) {
    throw refusalFrom(toHttpError(err, { kind: 'Pod', namespace, name, verb: 'get', resource: 'pods', api }));
  }
}

async function startExec(
  kc: KubeConfig,
  clientName: string,
  namespace: string,
  pod: string,
  container: string,
): Promise<PodExec> {
  try {
    return await PodExec.start(kc, { namespace, pod, container }, clientName);
  } catch (err) {
    const f = err as KubeSocketFailure;
    if (f.status === 404) throw new TerminalRefusal(CLOSE.notFound, `pod "${namespace}/${pod}" not found`);
    throw new TerminalRefusal(
      CLOSE.internalError,
      `exec into pod "${namespace}/${pod}" failed: ${f.message ?? 'error'}`,
    );
  }
}

export async function openTarget(
  target: TerminalTarget,
  deps: TargetDeps,
  session: ShellSession,
): Promise<OpenedTarget> {
  const shell = async (kubeconfig: string, label: string, targetKind: 'management' | 'tenant') => {
    const backend = deps.shellPods
      ? await deps.shellPods.create({
          sessionId: session.id,
          user: session.user,
          path: session.path,
          targetKind,
          label,
          kubeconfig,
        })
      : LocalShell.start({ kubeconfig, label });
    return { backend, showExitStatus: false };
  };
  try {
    switch (target.kind) {
      case 'management-shell': {
        const kubeconfig = deps.shellPods
          ? managementPodKubeconfig(deps.config, deps.managementKubeConfig, `${TOKEN_DIR}/token`)
          : managementShellKubeconfig(deps.config, deps.managementKubeConfig);
        return await shell(kubeconfig, 'management', 'management');
      }
      case 'tenant-shell': {
        const tenant = await deps.tenants.getTenantKubeconfig(target.namespace, target.cluster);
        return await shell(tenant.sanitizedYaml, target.cluster, 'tenant');
      }
      case 'management-pod': {
        const ref = `"${target.podNamespace}/${target.pod}"`;
        const pod = await getPod(deps.kube, target.podNamespace, target.pod, 'management');
        const container = chooseContainer(pod, target.container, ref);
        const backend = await startExec(
          deps.managementKubeConfig,
          deps.kube.name,
          target.podNamespace,
          target.pod,
          container,
        );
        return { backend, showExitStatus: true };
      }
      case 'tenant-pod': {
        const tenant = await deps.tenants.getTenantKubeconfig(target.namespace, target.cluster);
        const ref = `"${target.podNamespace}/${target.pod}"`;
        const pod = await getPod(tenant.client, target.podNamespace, target.pod, 'tenant');
        const container = chooseContainer(pod, target.container, ref);
        const backend = await startExec(tenant.kc, tenant.client.name, target.podNamespace, target.pod, container);
        return { backend, showExitStatus: true };
      }
    }
  } catch (err) {
    throw refusalFrom(err);
  }
}
