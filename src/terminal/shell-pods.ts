// Shell pods (pod mode): every management/tenant shell is a pod in the system namespace, attached through the API
// server. The cluster holds the state, so any replica can serve a reattach:
// - an informer on the shell pods gives the counts for the limits (across replicas) and tells a replica when another
//   one took a session over (the holder annotation changed);
// - the replica holding a session renews the pod's `renewed` annotation; any replica deletes pods whose holder stopped
//   renewing for longer than the reattach grace (a crashed replica), and finished pods;
// - the per-session Secret is owned by its pod, so the cluster's garbage collector removes it with the pod.
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { createResourceCache, type KubeObject, type ResourceCache } from '../kube/cache.js';
import type { KubeClient } from '../kube/client.js';
import { KubeApiError } from '../kube/errors.js';
import type { BackendExit, TerminalBackend } from './backend.js';
import { CLOSE } from './close-codes.js';
import type { KubeSocketFailure } from './kube-websocket.js';
import { TerminalRefusal } from './refusal.js';
import { PodExec } from './pod-exec.js';
import {
  ANNOTATIONS,
  LABELS,
  SHELL_CONTAINER,
  SHELL_POD_SELECTOR,
  shellPodManifest,
  shellPodName,
  shellSecretManifest,
  type ShellPodInput,
} from './shell-pod-spec.js';
import { paths } from '../kube/butler.js';

const POLL_MS = 25;
const MAX_HEARTBEAT_MS = 20_000;
const MIN_HEARTBEAT_MS = 1000;

type Pod = KubeObject & {
  metadata: KubeObject['metadata'] & { uid?: string; creationTimestamp?: string; deletionTimestamp?: string };
  spec?: { activeDeadlineSeconds?: number };
  status?: { phase?: string; containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[] };
};

export interface ShellPodsOptions {
  config: Config;
  kube: KubeClient;
  /** The management cluster's credentials (services.managementKubeConfig). */
  managementKubeConfig: KubeConfig;
  log: Logger;
  /** Ids of the sessions this replica holds (renewed by the heartbeat). */
  heldSessions(): string[];
  /** Another replica took a session of this one over. */
  onTakenOver(sessionId: string): void;
  /** Renewal period; defaults to a third of the reattach grace, between 1 s and 20 s. */
  heartbeatMs?: number;
}

export interface NewShellPod {
  sessionId: string;
  user: string;
  path: string;
  targetKind: 'management' | 'tenant';
  label: string;
  kubeconfig: string;
}

export interface AdoptedShellPod {
  backend: PodShell;
  /** When the pod was created (for the remaining lifetime). */
  createdAt: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isFinished(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export class ShellPods {
  readonly replicaId = randomBytes(8).toString('hex');
  readonly namespace: string;
  private readonly cache: ResourceCache<Pod>;
  private readonly kc: KubeConfig;
  private readonly heartbeatMs: number;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private handingOver = false;
  /** Sessions whose pods this replica deleted (or is deleting), until the informer no longer lists them. */
  private readonly removed = new Set<string>();
  /** Sessions whose pod this replica is creating (not yet in heldSessions). */
  private readonly starting = new Set<string>();

  constructor(private readonly o: ShellPodsOptions) {
    this.namespace = o.config.systemNamespace;
    this.kc = o.managementKubeConfig;
    this.heartbeatMs =
      o.heartbeatMs ??
      Math.min(MAX_HEARTBEAT_MS, Math.max(MIN_HEARTBEAT_MS, Math.floor(o.config.terminal.reattachGraceMs / 3)));
    this.cache = createResourceCache<Pod>(o.kube, {
      path: paths.pods(this.namespace),
      name: 'terminal pods',
      labelSelector: SHELL_POD_SELECTOR,
      logger: o.log,
    });
  }

  start(): void {
    this.cache.start();
    this.unsubscribe = this.cache.subscribe((signal) => {
      if (signal.type !== 'MODIFIED') return;
      const holder = signal.object.metadata.annotations?.[ANNOTATIONS.holder];
      const id = signal.object.metadata.labels?.[LABELS.session];
      if (id && holder && holder !== this.replicaId && this.o.heldSessions().includes(id)) this.o.onTakenOver(id);
    });
    this.timer = setInterval(() => void this.tick(), this.heartbeatMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
    this.cache.stop();
  }

  /** Live shell pods per user (by exact name) and in total, across replicas; `except` are counted by the caller. */
  counts(except: Set<string>): { perUser: Map<string, number>; total: number } {
    const perUser = new Map<string, number>();
    let total = 0;
    const listed = new Set<string>();
    for (const pod of this.cache.list()) {
      const id = pod.metadata.labels?.[LABELS.session];
      if (id) listed.add(id);
      if (!id || except.has(id) || this.removed.has(id) || pod.metadata.deletionTimestamp || isFinished(pod)) continue;
      total++;
      const user = pod.metadata.annotations?.[ANNOTATIONS.user] ?? '';
      perUser.set(user, (perUser.get(user) ?? 0) + 1);
    }
    // A removed pod counts no more; its id is forgotten once the informer has seen it go.
    for (const id of this.removed) if (!listed.has(id)) this.removed.delete(id);
    return { perUser, total };
  }

  /** Creates the pod and its Secret, waits until it runs, attaches and starts the shell. */
  async create(n: NewShellPod): Promise<PodShell> {
    const c = this.o.config.terminal;
    const input: ShellPodInput = {
      sessionId: n.sessionId,
      namespace: this.namespace,
      user: n.user,
      path: n.path,
      targetKind: n.targetKind,
      label: n.label,
      image: c.pod.image,
      ...(n.targetKind === 'management' && !c.managementKubeconfigPath ? { serviceAccount: c.pod.serviceAccount } : {}),
      cpuLimit: c.pod.cpuLimit,
      memoryLimit: c.pod.memoryLimit,
      maxLifetimeMs: c.maxLifetimeMs,
      replicaId: this.replicaId,
    };
    this.starting.add(n.sessionId);
    try {
      return await this.createAndAttach(n, input);
    } finally {
      this.starting.delete(n.sessionId);
    }
  }

  private async createAndAttach(n: NewShellPod, input: ShellPodInput): Promise<PodShell> {
    let created: Pod;
    try {
      created = await this.o.kube.request<Pod>({
        method: 'POST',
        path: this.podsPath(),
        body: shellPodManifest(input),
      });
    } catch (err) {
      this.o.log.error({ err, sessionId: n.sessionId }, 'terminal pod could not be created');
      throw new TerminalRefusal(CLOSE.internalError, 'terminal pod could not be created');
    }
    try {
      await this.o.kube.request({
        method: 'POST',
        path: paths.secrets(this.namespace),
        body: shellSecretManifest({
          sessionId: n.sessionId,
          namespace: this.namespace,
          podUid: created.metadata.uid ?? '',
          kubeconfig: n.kubeconfig,
        }),
      });
      await this.waitRunning(n.sessionId);
      const shell = await this.attach(n.sessionId);
      // The container waits for one line before it starts the shell (so the first prompt reaches this stream).
      shell.write('\n');
      return shell;
    } catch (err) {
      await this.remove(n.sessionId);
      if (err instanceof TerminalRefusal) throw err;
      this.o.log.error({ err, sessionId: n.sessionId }, 'terminal pod could not be started');
      throw new TerminalRefusal(CLOSE.internalError, 'terminal pod could not be started');
    }
  }

  /** Takes over a running session started on any replica: its owner and path must match. */
  async adopt(sessionId: string, user: string, path: string): Promise<AdoptedShellPod> {
    const pod = await this.getPod(sessionId);
    const expired = () => new TerminalRefusal(CLOSE.notFound, 'terminal session expired');
    if (!pod || pod.metadata.deletionTimestamp || isFinished(pod)) throw expired();
    if (pod.metadata.annotations?.[ANNOTATIONS.user] !== user)
      throw new TerminalRefusal(CLOSE.forbidden, 'terminal session belongs to another user');
    if (pod.metadata.annotations?.[ANNOTATIONS.path] !== path) throw expired();
    try {
      await this.patchAnnotations(sessionId, {
        [ANNOTATIONS.holder]: this.replicaId,
        [ANNOTATIONS.renewed]: new Date().toISOString(),
      });
      const backend = await this.attach(sessionId);
      return { backend, createdAt: Date.parse(pod.metadata.creationTimestamp ?? '') || Date.now() };
    } catch (err) {
      if (err instanceof TerminalRefusal) throw err;
      throw expired();
    }
  }

  /**
   * At shutdown the pods stay: their users can reattach on another replica within the grace period; otherwise the
   * sweep of a running replica removes them once their renewal is stale.
   */
  handOver(): void {
    this.handingOver = true;
  }

  /** At the end of a session: the pod and Secret go, unless another replica holds the session now. */
  async release(sessionId: string): Promise<void> {
    if (this.handingOver) return;
    const pod = await this.getPod(sessionId).catch(() => undefined);
    const holder = pod?.metadata.annotations?.[ANNOTATIONS.holder];
    if (pod && holder && holder !== this.replicaId && !isFinished(pod)) return;
    await this.remove(sessionId);
  }

  private podsPath(name?: string): string {
    return name ? paths.pod(this.namespace, name) : paths.pods(this.namespace);
  }

  private async getPod(sessionId: string): Promise<Pod | undefined> {
    try {
      return await this.o.kube.request<Pod>({ method: 'GET', path: this.podsPath(shellPodName(sessionId)) });
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  private async patchAnnotations(sessionId: string, annotations: Record<string, string>): Promise<void> {
    await this.o.kube.request({
      method: 'PATCH',
      path: this.podsPath(shellPodName(sessionId)),
      contentType: 'application/merge-patch+json',
      body: { metadata: { annotations } },
    });
  }

  private async remove(sessionId: string): Promise<void> {
    this.removed.add(sessionId);
    const name = shellPodName(sessionId);
    for (const path of [this.podsPath(name), paths.secret(this.namespace, name)]) {
      try {
        await this.o.kube.request({ method: 'DELETE', path, body: { gracePeriodSeconds: 0 } });
      } catch (err) {
        if (!(err instanceof KubeApiError && err.statusCode === 404))
          this.o.log.warn({ err, sessionId }, 'terminal pod clean-up failed; the sweep retries');
      }
    }
  }

  private async waitRunning(sessionId: string): Promise<void> {
    const deadline = Date.now() + this.o.config.terminal.pod.startTimeoutMs;
    while (Date.now() < deadline) {
      const pod = await this.getPod(sessionId);
      if (!pod) throw new TerminalRefusal(CLOSE.internalError, 'terminal pod disappeared');
      if (pod.status?.phase === 'Running') return;
      if (isFinished(pod)) throw new TerminalRefusal(CLOSE.internalError, 'terminal pod ended before it ran');
      const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting;
      if (waiting?.reason && /Err|Error|BackOff|Invalid/.test(waiting.reason))
        throw new TerminalRefusal(CLOSE.internalError, `terminal pod could not be started: ${waiting.reason}`);
      await sleep(POLL_MS);
    }
    throw new TerminalRefusal(CLOSE.internalError, 'terminal pod did not start in time');
  }

  private async attach(sessionId: string): Promise<PodShell> {
    try {
      const stream = await PodExec.attach(
        this.kc,
        { namespace: this.namespace, pod: shellPodName(sessionId), container: SHELL_CONTAINER },
        this.o.kube.name,
      );
      return new PodShell(stream, sessionId, this);
    } catch (err) {
      const f = err as KubeSocketFailure;
      throw new TerminalRefusal(
        f.status === 404 ? CLOSE.notFound : CLOSE.internalError,
        f.status === 404 ? 'terminal session expired' : `attach to the terminal pod failed: ${f.message ?? 'error'}`,
      );
    }
  }

  /** Heartbeat for the sessions held here, and the sweep of abandoned or finished pods. */
  private async tick(): Promise<void> {
    // Pods still starting here count as held: on a loaded cluster starting can outlast the staleness limit.
    const held = new Set([...this.o.heldSessions(), ...this.starting]);
    const now = new Date().toISOString();
    for (const id of held) {
      await this.patchAnnotations(id, { [ANNOTATIONS.renewed]: now }).catch(() => undefined);
    }
    const staleMs = this.o.config.terminal.reattachGraceMs + 3 * this.heartbeatMs;
    for (const pod of this.cache.list()) {
      const id = pod.metadata.labels?.[LABELS.session];
      if (!id || held.has(id) || pod.metadata.deletionTimestamp) continue;
      const renewed = Date.parse(pod.metadata.annotations?.[ANNOTATIONS.renewed] ?? '') || 0;
      if (isFinished(pod) || Date.now() - renewed > staleMs) {
        this.o.log.info({ sessionId: id }, 'removing an abandoned terminal pod');
        await this.remove(id);
      }
    }
  }
}

/** A shell in a pod, through an attach stream. Terminating it detaches and lets ShellPods decide about the pod. */
export class PodShell implements TerminalBackend {
  readonly pid = undefined;
  private terminating: Promise<void> | undefined;

  constructor(
    private readonly stream: PodExec,
    readonly sessionId: string,
    private readonly pods: ShellPods,
  ) {}

  onOutput(listener: (chunk: Buffer) => void): void {
    this.stream.onOutput(listener);
  }

  onExit(listener: (exit: BackendExit) => void): void {
    this.stream.onExit(listener);
  }

  write(data: string | Buffer): void {
    this.stream.write(data);
  }

  resize(cols: number, rows: number): void {
    this.stream.resize(cols, rows);
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  terminate(): Promise<void> {
    this.terminating ??= (async () => {
      await this.stream.terminate();
      await this.pods.release(this.sessionId);
    })();
    return this.terminating;
  }
}
