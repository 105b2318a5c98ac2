// The objects of a shell pod (pod mode): the Pod that runs the shell and the per-session Secret with its kubeconfig.
// Everything the cluster needs to know about a session is on the Pod: labels (session id, user, target kind) for
// selection, annotations (exact user, terminal path, holding replica and its last renewal) for reattach and cleanup.
import { createHash } from 'node:crypto';

export const LABELS = {
  name: 'app.kubernetes.io/name',
  managedBy: 'app.kubernetes.io/managed-by',
  session: 'butler.butlerlabs.dev/terminal-session',
  user: 'butler.butlerlabs.dev/terminal-user',
  target: 'butler.butlerlabs.dev/terminal-target',
} as const;

export const ANNOTATIONS = {
  user: 'butler.butlerlabs.dev/terminal-user',
  path: 'butler.butlerlabs.dev/terminal-path',
  holder: 'butler.butlerlabs.dev/terminal-holder',
  renewed: 'butler.butlerlabs.dev/terminal-renewed',
} as const;

/** Selects every shell pod (the informer, the sweep). */
export const SHELL_POD_SELECTOR = `${LABELS.name}=butler-terminal,${LABELS.managedBy}=butler-server`;
export const SHELL_CONTAINER = 'shell';
export const HOME_DIR = '/home/butler';
export const KUBECONFIG_DIR = '/var/run/secrets/butler/kubeconfig';
export const TOKEN_DIR = '/var/run/secrets/butler/serviceaccount';
/** A user that exists in no image: the pod never runs as root, whatever the image says. */
export const SHELL_UID = 65532;

/**
 * The container waits for one line on its TTY (sent by the server once it is attached, not echoed) so the first
 * prompt is not printed before anyone listens, then runs bash (sh where the image has no bash).
 */
export const SHELL_COMMAND = [
  'sh',
  '-c',
  'stty -echo 2>/dev/null; read -r _; stty echo 2>/dev/null; ' +
    'if command -v bash >/dev/null 2>&1; then exec bash --norc -i; else exec sh -i; fi',
];

export function shellPodName(sessionId: string): string {
  return `butler-terminal-${sessionId}`;
}

/** A label value for the user: the name itself when it fits, else a stable hash (the annotation keeps the name). */
export function userLabel(user: string): string {
  if (/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(user)) return user;
  return `u-${createHash('sha256').update(user).digest('hex').slice(0, 40)}`;
}

export interface ShellPodInput {
  sessionId: string;
  namespace: string;
  user: string;
  /** The terminal path a reattach must repeat. */
  path: string;
  targetKind: 'management' | 'tenant';
  /** `management` or the tenant cluster's name, for PS1. */
  label: string;
  image: string;
  /** Management shells: the ServiceAccount whose projected token the kubeconfig names. */
  serviceAccount?: string;
  cpuLimit: string;
  memoryLimit: string;
  maxLifetimeMs: number;
  replicaId: string;
}

export function shellPodManifest(o: ShellPodInput): Record<string, unknown> {
  const lifetimeSeconds = Math.max(1, Math.ceil(o.maxLifetimeMs / 1000));
  const volumes: Record<string, unknown>[] = [
    { name: 'kubeconfig', secret: { secretName: shellPodName(o.sessionId), defaultMode: 0o440 } },
    { name: 'home', emptyDir: { sizeLimit: '64Mi' } },
    { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
  ];
  const mounts: Record<string, unknown>[] = [
    { name: 'kubeconfig', mountPath: KUBECONFIG_DIR, readOnly: true },
    { name: 'home', mountPath: HOME_DIR },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  if (o.serviceAccount) {
    volumes.push({
      name: 'token',
      projected: {
        defaultMode: 0o440,
        sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: Math.max(600, lifetimeSeconds) } }],
      },
    });
    mounts.push({ name: 'token', mountPath: TOKEN_DIR, readOnly: true });
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: shellPodName(o.sessionId),
      namespace: o.namespace,
      labels: {
        [LABELS.name]: 'butler-terminal',
        [LABELS.managedBy]: 'butler-server',
        [LABELS.session]: o.sessionId,
        [LABELS.user]: userLabel(o.user),
        [LABELS.target]: o.targetKind,
      },
      annotations: {
        [ANNOTATIONS.user]: o.user,
        [ANNOTATIONS.path]: o.path,
        [ANNOTATIONS.holder]: o.replicaId,
        [ANNOTATIONS.renewed]: new Date().toISOString(),
      },
    },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: lifetimeSeconds,
      terminationGracePeriodSeconds: 1,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...(o.serviceAccount ? { serviceAccountName: o.serviceAccount } : {}),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: SHELL_UID,
        runAsGroup: SHELL_UID,
        fsGroup: SHELL_UID,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: SHELL_CONTAINER,
          image: o.image,
          command: SHELL_COMMAND,
          stdin: true,
          tty: true,
          workingDir: HOME_DIR,
          env: [
            { name: 'HOME', value: HOME_DIR },
            { name: 'KUBECONFIG', value: `${KUBECONFIG_DIR}/config` },
            { name: 'TERM', value: 'xterm-256color' },
            { name: 'LANG', value: 'C.UTF-8' },
            { name: 'PS1', value: `[${o.label}] $ ` },
          ],
          resources: {
            limits: { cpu: o.cpuLimit, memory: o.memoryLimit },
            requests: { cpu: '10m', memory: '32Mi' },
          },
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
          },
          volumeMounts: mounts,
        },
      ],
      volumes,
    },
  };
}

/** The per-session Secret, owned by the pod (deleting the pod removes it even if the server cannot). */
export function shellSecretManifest(o: {
  sessionId: string;
  namespace: string;
  podUid: string;
  kubeconfig: string;
}): Record<string, unknown> {
  const name = shellPodName(o.sessionId);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: o.namespace,
      labels: { [LABELS.name]: 'butler-terminal', [LABELS.managedBy]: 'butler-server', [LABELS.session]: o.sessionId },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name, uid: o.podUid, blockOwnerDeletion: false }],
    },
    type: 'Opaque',
    data: { config: Buffer.from(o.kubeconfig).toString('base64') },
  };
}
