// The simulator's kubelet: a pod whose every container names a `command` is run (pod-sandbox.ts) as soon as it is
// created, with its env and its Secret/ConfigMap/emptyDir/projected volumes materialised at the paths the spec names;
// its status follows (Pending → Running → Succeeded/Failed), activeDeadlineSeconds ends it, and deleting the pod kills
// every process in it. Pods without commands (no image entrypoint to run) stay as before: exec runs per request.
//
// SECURITY: like exec, this runs REAL LOCAL PROCESSES; the simulator must never be exposed beyond loopback.
import { chmodSync, chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import type { ApiState } from './state.js';
import { CONTAINER_PATH } from './exec-process.js';
import {
  containerCommand,
  mountPathProblem,
  namespacesAvailable,
  startSandbox,
  MARKER_ENV,
  type SandboxMount,
  type SandboxProcess,
  type SandboxSpec,
} from './pod-sandbox.js';
import type { StoredEvent } from './store.js';

const VOLUME_RETRY_MS = 25;
const VOLUME_WAIT_MS = 5 * 60_000;

export interface ExecContext {
  command: string[];
  env: Record<string, string>;
  cwd: string;
}

export type ContainerLookup =
  | { kind: 'not-managed' }
  | { kind: 'not-running'; message: string }
  | { kind: 'running'; process: SandboxProcess; spec: SandboxSpec };

interface RunningPod {
  uid: string;
  namespace: string;
  name: string;
  dir: string;
  containers: Map<string, { process: SandboxProcess; spec: SandboxSpec; exitCode?: number }>;
  deadline?: NodeJS.Timeout;
  stopped: boolean;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
}

export interface KubeletOptions {
  state: ApiState;
  root: string;
  /** A token for the pod's ServiceAccount (projected serviceAccountToken volumes). */
  tokenFor(namespace: string, serviceAccount: string): string;
  warn?(message: string): void;
}

const isRunnable = (pod: any) => {
  const containers = pod?.spec?.containers;
  return (
    Array.isArray(containers) &&
    containers.length > 0 &&
    containers.every((c: any) => Array.isArray(c?.command) && c.command.length > 0) &&
    !pod.metadata?.deletionTimestamp &&
    !['Succeeded', 'Failed'].includes(pod.status?.phase)
  );
};

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

class MissingSource extends Error {}

export class Kubelet {
  private readonly pods = new Map<string, RunningPod>();
  private readonly podType;
  private readonly unwatch: () => void;
  private closed = false;

  constructor(private readonly o: KubeletOptions) {
    this.podType = o.state.lookup('', 'v1', 'pods')!;
    const store = o.state.store(this.podType);
    const watcher = { onEvent: (ev: StoredEvent) => this.onEvent(ev) };
    store.watchers.add(watcher);
    this.unwatch = () => store.watchers.delete(watcher);
    if (!namespacesAvailable())
      o.warn?.(
        'simulator kubelet: no PID/mount namespaces here (not root or no unshare); pods run as plain process trees ' +
          'without isolation, killed completely by marker',
      );
    for (const entry of store.items.values()) if (isRunnable(entry.obj)) this.schedule(entry.obj);
  }

  private key(ns: string, name: string): string {
    return `${ns}/${name}`;
  }

  private onEvent(ev: StoredEvent): void {
    const pod = ev.entry.obj;
    const key = this.key(pod.metadata.namespace, pod.metadata.name);
    const running = this.pods.get(key);
    if (ev.type === 'DELETED' || pod.metadata.deletionTimestamp) {
      if (running && running.uid === pod.metadata.uid) void this.stopPod(running, true);
      return;
    }
    if (ev.type === 'ADDED' && isRunnable(pod)) this.schedule(pod);
  }

  private schedule(pod: any): void {
    if (this.closed) return;
    const p: RunningPod = {
      uid: pod.metadata.uid,
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      dir: join(this.o.root, pod.metadata.uid),
      containers: new Map(),
      stopped: false,
      phase: 'Pending',
    };
    this.pods.set(this.key(p.namespace, p.name), p);
    // Out of the store's event dispatch: starting writes the pod's status.
    setImmediate(() => void this.startPod(p));
  }

  private current(p: RunningPod): any | undefined {
    try {
      const obj = this.o.state.get(this.podType, p.namespace, p.name).obj;
      return obj.metadata.uid === p.uid ? obj : undefined;
    } catch {
      return undefined;
    }
  }

  private writeStatus(p: RunningPod, status: (pod: any) => object): void {
    const pod = this.current(p);
    if (!pod || (p.stopped && pod.metadata.deletionTimestamp)) return;
    try {
      const next = structuredClone(pod);
      next.status = status(pod);
      this.o.state.update(this.podType, p.namespace, p.name, next, { subresource: 'status' });
    } catch {
      // deleted or changed meanwhile: the next event decides
    }
  }

  private async startPod(p: RunningPod): Promise<void> {
    const deadline = Date.now() + VOLUME_WAIT_MS;
    let pod: any;
    let mounts: Map<string, string>;
    for (;;) {
      pod = this.current(p);
      if (!pod || p.stopped) return;
      try {
        mounts = this.materialiseVolumes(pod, p.dir);
        break;
      } catch (err) {
        if (!(err instanceof MissingSource) || Date.now() > deadline) {
          return this.fail(p, 'CreateContainerConfigError', (err as Error).message);
        }
        await new Promise((r) => setTimeout(r, VOLUME_RETRY_MS));
      }
    }
    const startTime = now();
    try {
      for (const c of pod.spec.containers) {
        const spec = this.sandboxSpec(pod, c, mounts, p.dir);
        const process = await startSandbox(spec);
        const entry: { process: SandboxProcess; spec: SandboxSpec; exitCode?: number } = { process, spec };
        p.containers.set(c.name, entry);
        void process.exited.then((code) => {
          entry.exitCode = code;
          this.containerExited(p);
        });
        if (p.stopped) await process.kill();
      }
    } catch (err) {
      for (const c of p.containers.values()) await c.process.kill();
      return this.fail(p, 'CreateContainerError', (err as Error).message);
    }
    if (p.stopped) return;
    p.phase = 'Running';
    this.writeStatus(p, (cur) => ({
      phase: 'Running',
      conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
        type,
        status: 'True',
        lastTransitionTime: startTime,
      })),
      hostIP: '127.0.0.1',
      podIP: '127.0.0.1',
      podIPs: [{ ip: '127.0.0.1' }],
      startTime,
      qosClass: cur.status?.qosClass ?? 'Burstable',
      containerStatuses: cur.spec.containers.map((c: any) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        containerID: `sim://${p.containers.get(c.name)?.process.pid ?? 0}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: startTime } },
      })),
    }));
    const seconds = Number(pod.spec.activeDeadlineSeconds);
    if (Number.isFinite(seconds) && seconds > 0) {
      p.deadline = setTimeout(() => void this.deadlineExceeded(p), Math.min(seconds * 1000, 2 ** 31 - 1));
      p.deadline.unref();
    }
  }

  private fail(p: RunningPod, reason: string, message: string): void {
    p.phase = 'Failed';
    this.writeStatus(p, (cur) => ({
      phase: 'Pending',
      containerStatuses: cur.spec.containers.map((c: any) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        ready: false,
        started: false,
        restartCount: 0,
        state: { waiting: { reason, message } },
      })),
    }));
  }

  private async deadlineExceeded(p: RunningPod): Promise<void> {
    if (p.stopped) return;
    await this.stopPod(p, false);
    this.writeStatus(p, (cur) => ({
      ...cur.status,
      phase: 'Failed',
      reason: 'DeadlineExceeded',
      message: 'Pod was active on the node longer than the specified deadline',
    }));
  }

  private containerExited(p: RunningPod): void {
    if (p.stopped) return;
    const all = [...p.containers.values()];
    if (all.some((c) => c.exitCode === undefined)) return;
    clearTimeout(p.deadline);
    const failed = all.some((c) => c.exitCode !== 0);
    p.phase = failed ? 'Failed' : 'Succeeded';
    const finishedAt = now();
    this.writeStatus(p, (cur) => ({
      ...cur.status,
      phase: p.phase,
      conditions: (cur.status?.conditions ?? []).map((c: any) =>
        c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False', reason: 'PodCompleted' } : c,
      ),
      containerStatuses: (cur.status?.containerStatuses ?? []).map((s: any) => {
        const exitCode = p.containers.get(s.name)?.exitCode ?? 0;
        return {
          ...s,
          ready: false,
          started: false,
          state: {
            terminated: {
              exitCode,
              reason: exitCode === 0 ? 'Completed' : 'Error',
              startedAt: s.state?.running?.startedAt,
              finishedAt,
              containerID: s.containerID,
            },
          },
        };
      }),
    }));
    void this.cleanUp(p, false);
  }

  private async cleanUp(p: RunningPod, forget: boolean): Promise<void> {
    await Promise.all([...p.containers.values()].map((c) => c.process.kill()));
    if (forget) {
      rmSync(p.dir, { recursive: true, force: true });
      if (this.pods.get(this.key(p.namespace, p.name)) === p) this.pods.delete(this.key(p.namespace, p.name));
    }
  }

  private async stopPod(p: RunningPod, forget: boolean): Promise<void> {
    const wasStopped = p.stopped;
    p.stopped = true;
    clearTimeout(p.deadline);
    if (!wasStopped || forget) await this.cleanUp(p, forget);
  }

  /** For attach and exec: the running container of a pod this kubelet manages. */
  container(namespace: string, name: string, container: string): ContainerLookup {
    const p = this.pods.get(this.key(namespace, name));
    if (!p) return { kind: 'not-managed' };
    if (p.phase === 'Succeeded' || p.phase === 'Failed' || p.stopped)
      return {
        kind: 'not-running',
        message: `cannot exec into a container in a completed pod; current phase is ${p.phase}`,
      };
    const c = p.containers.get(container);
    if (!c || c.exitCode !== undefined || p.phase !== 'Running')
      return { kind: 'not-running', message: `container not found ("${container}")` };
    return { kind: 'running', process: c.process, spec: c.spec };
  }

  /** How `kubectl exec` runs in a managed container: inside its namespaces, as its user, with its env. */
  static execContext(
    found: { process: SandboxProcess; spec: SandboxSpec },
    command: string[],
    tty: boolean,
  ): ExecContext {
    const { process, spec } = found;
    const env = { ...spec.env, ...(tty ? { TERM: spec.env.TERM ?? 'xterm' } : {}) };
    if (process.isolated) {
      const inner = containerCommand(spec, { env, workingDir: spec.workingDir, command });
      return {
        command: ['nsenter', '-t', String(process.pid), '-p', '-m', '-u', '-i', '-r', '-w', '--', ...inner],
        env: { PATH: CONTAINER_PATH },
        cwd: '/',
      };
    }
    const rewrite = (v: string) => {
      for (const m of spec.mounts)
        if (v === m.mountPath || v.startsWith(`${m.mountPath}/`)) return m.hostPath + v.slice(m.mountPath.length);
      return v;
    };
    return {
      command,
      env: { ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, rewrite(v)])), [MARKER_ENV]: spec.marker },
      cwd: spec.podDir,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unwatch();
    await Promise.all([...this.pods.values()].map((p) => this.stopPod(p, true)));
  }

  // ---- volumes and env ------------------------------------------------------------------------------

  private lookupData(
    kind: 'secrets' | 'configmaps',
    ns: string,
    name: string,
    optional: boolean,
  ): Record<string, Buffer> | undefined {
    const rt = this.o.state.lookup('', 'v1', kind)!;
    let obj: any;
    try {
      obj = this.o.state.get(rt, ns, name).obj;
    } catch {
      if (optional) return undefined;
      throw new MissingSource(`${kind === 'secrets' ? 'secret' : 'configmap'} "${name}" not found`);
    }
    const out: Record<string, Buffer> = {};
    if (kind === 'secrets')
      for (const [k, v] of Object.entries(obj.data ?? {})) out[k] = Buffer.from(String(v), 'base64');
    else {
      for (const [k, v] of Object.entries(obj.data ?? {})) out[k] = Buffer.from(String(v));
      for (const [k, v] of Object.entries(obj.binaryData ?? {})) out[k] = Buffer.from(String(v), 'base64');
    }
    return out;
  }

  private writeFiles(
    dir: string,
    data: Record<string, Buffer>,
    items: any[] | undefined,
    mode: number,
    gid: number | undefined,
  ): void {
    const entries: [string, Buffer, number][] = items?.length
      ? items.filter((i) => data[i.key] !== undefined).map((i) => [i.path, data[i.key]!, i.mode ?? mode])
      : Object.entries(data).map(([k, v]) => [k, v, mode]);
    for (const [path, content, fileMode] of entries) {
      const normal = posix.normalize(path);
      if (normal.startsWith('..') || normal.startsWith('/')) continue;
      const file = join(dir, normal);
      mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
      writeFileSync(file, content, { mode: fileMode });
      chmodSync(file, fileMode);
      if (gid !== undefined) chownSync(file, 0, gid);
    }
  }

  /** Writes every volume below `<dir>/volumes/<name>`; throws MissingSource while a Secret/ConfigMap is missing. */
  private materialiseVolumes(pod: any, dir: string): Map<string, string> {
    const ns = pod.metadata.namespace;
    const fsGroup = pod.spec.securityContext?.fsGroup as number | undefined;
    const out = new Map<string, string>();
    const prepared: [string, () => void][] = [];
    for (const v of pod.spec.volumes ?? []) {
      const vdir = join(dir, 'volumes', v.name);
      out.set(v.name, vdir);
      if (v.secret) {
        const data = this.lookupData('secrets', ns, v.secret.secretName, !!v.secret.optional) ?? {};
        prepared.push([
          vdir,
          () => this.writeFiles(vdir, data, v.secret.items, v.secret.defaultMode ?? 0o644, fsGroup),
        ]);
      } else if (v.configMap) {
        const data = this.lookupData('configmaps', ns, v.configMap.name, !!v.configMap.optional) ?? {};
        prepared.push([
          vdir,
          () => this.writeFiles(vdir, data, v.configMap.items, v.configMap.defaultMode ?? 0o644, fsGroup),
        ]);
      } else if (v.projected) {
        const mode = v.projected.defaultMode ?? 0o644;
        const writers: (() => void)[] = [];
        for (const s of v.projected.sources ?? []) {
          if (s.serviceAccountToken) {
            const token = this.o.tokenFor(ns, pod.spec.serviceAccountName ?? 'default');
            writers.push(() =>
              this.writeFiles(
                vdir,
                { token: Buffer.from(token) },
                [{ key: 'token', path: s.serviceAccountToken.path }],
                mode,
                fsGroup,
              ),
            );
          } else if (s.secret) {
            const data = this.lookupData('secrets', ns, s.secret.name, !!s.secret.optional) ?? {};
            writers.push(() => this.writeFiles(vdir, data, s.secret.items, mode, fsGroup));
          } else if (s.configMap) {
            const data = this.lookupData('configmaps', ns, s.configMap.name, !!s.configMap.optional) ?? {};
            writers.push(() => this.writeFiles(vdir, data, s.configMap.items, mode, fsGroup));
          }
        }
        prepared.push([vdir, () => writers.forEach((w) => w())]);
      } else {
        // emptyDir, and anything else the simulator cannot serve, is an empty writable directory.
        prepared.push([vdir, () => chmodSync(vdir, 0o777)]);
      }
    }
    rmSync(join(dir, 'volumes'), { recursive: true, force: true });
    for (const [vdir, write] of prepared) {
      mkdirSync(vdir, { recursive: true, mode: 0o755 });
      chmodSync(vdir, 0o755);
      write();
    }
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    return out;
  }

  private resolveEnv(pod: any, c: any): Record<string, string> {
    const ns = pod.metadata.namespace;
    const env: Record<string, string> = { PATH: CONTAINER_PATH, HOSTNAME: pod.metadata.name };
    const field = (path: string): string => {
      const fields: Record<string, unknown> = {
        'metadata.name': pod.metadata.name,
        'metadata.namespace': ns,
        'metadata.uid': pod.metadata.uid,
        'spec.nodeName': pod.spec.nodeName,
        'spec.serviceAccountName': pod.spec.serviceAccountName,
        'status.podIP': '127.0.0.1',
        'status.hostIP': '127.0.0.1',
      };
      const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
      if (m) return String(pod.metadata[m[1]!]?.[m[2]!] ?? '');
      return String(fields[path] ?? '');
    };
    for (const e of c.env ?? []) {
      if (typeof e?.name !== 'string') continue;
      if (e.value !== undefined) env[e.name] = String(e.value);
      else if (e.valueFrom?.secretKeyRef) {
        const r = e.valueFrom.secretKeyRef;
        const v = this.lookupData('secrets', ns, r.name, !!r.optional)?.[r.key];
        if (v !== undefined) env[e.name] = v.toString('utf8');
      } else if (e.valueFrom?.configMapKeyRef) {
        const r = e.valueFrom.configMapKeyRef;
        const v = this.lookupData('configmaps', ns, r.name, !!r.optional)?.[r.key];
        if (v !== undefined) env[e.name] = v.toString('utf8');
      } else if (e.valueFrom?.fieldRef) env[e.name] = field(e.valueFrom.fieldRef.fieldPath);
    }
    if (c.tty && env.TERM === undefined) env.TERM = 'xterm';
    return env;
  }

  private sandboxSpec(pod: any, c: any, volumes: Map<string, string>, dir: string): SandboxSpec {
    const podSc = pod.spec.securityContext ?? {};
    const sc = c.securityContext ?? {};
    const uid = sc.runAsUser ?? podSc.runAsUser;
    const gid = sc.runAsGroup ?? podSc.runAsGroup ?? uid;
    if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) && !uid)
      throw new Error('container has runAsNonRoot and image will run as root');
    const mounts: SandboxMount[] = [];
    for (const m of c.volumeMounts ?? []) {
      const hostPath = volumes.get(m.name);
      if (!hostPath) throw new Error(`volume "${m.name}" not found`);
      const problem = namespacesAvailable() ? mountPathProblem(m.mountPath) : undefined;
      if (problem) throw new Error(problem);
      mounts.push({
        hostPath: m.subPath ? join(hostPath, m.subPath) : hostPath,
        mountPath: m.mountPath,
        readOnly: !!m.readOnly,
      });
    }
    return {
      podDir: dir,
      marker: pod.metadata.uid,
      hostname: pod.metadata.name.slice(0, 63),
      command: [...c.command, ...(c.args ?? [])].map(String),
      env: this.resolveEnv(pod, c),
      workingDir: c.workingDir ?? '/',
      mounts,
      ...(uid !== undefined
        ? {
            user: {
              uid: Number(uid),
              gid: Number(gid),
              ...(podSc.fsGroup !== undefined ? { groups: [Number(podSc.fsGroup)] } : {}),
            },
          }
        : {}),
      noNewPrivs: sc.allowPrivilegeEscalation === false,
      dropAllCapabilities: (sc.capabilities?.drop ?? []).includes('ALL'),
      readOnlyRootFilesystem: !!sc.readOnlyRootFilesystem,
      tty: !!c.tty,
      stdin: !!c.stdin,
    };
  }
}
