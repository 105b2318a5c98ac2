// The TerminalManager owns every terminal session (Map<id, TerminalSession>): the caps (detached sessions count),
// reattach lookup, and closeAll() for shutdown.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { RevocationStore } from '../auth/revocations.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../config/types.js';
import type { KubeClient } from '../kube/client.js';
import type { TenantClusterAccess } from '../kube/tenant-access.js';
import { CLOSE, redLine } from './close-codes.js';
import { openTarget, TerminalRefusal, type OpenedTarget, type ShellSession } from './open-target.js';
import { Recording } from './recording.js';
import { TerminalSession, type SessionAuditFields, type SessionSettings } from './session.js';
import { PodShell, ShellPods } from './shell-pods.js';
import type { TerminalTarget } from './target.js';

export interface TerminalManagerOptions {
  config: Config;
  kube: KubeClient;
  revocations: RevocationStore;
  log: Logger;
  /** The management cluster's credentials (services.managementKubeConfig), for pod exec and the shell. */
  managementKubeConfig: KubeConfig;
  /** The shared tenant access (services.tenants); not closed here. */
  tenants: TenantClusterAccess;
}

export interface TerminalSessionInfo {
  id: string;
  user: string;
  kind: TerminalTarget['kind'];
  pid: number | undefined;
  attached: boolean;
  bufferedAmount: number;
  /** Output kept for reattach (at most BUTLER_TERMINAL_SCROLLBACK_BYTES). */
  scrollbackBytes: number;
  paused: boolean;
}

/** A session slot held while the target is being resolved, so concurrent opens cannot pass the caps. */
export interface Reservation {
  release(): void;
}

export class TerminalManager {
  private readonly sessions = new Map<string, TerminalSession>();
  private readonly perUser = new Map<string, number>();
  private readonly reservedIds = new Set<string>();
  private readonly ending = new Set<string>();
  private reserved = 0;
  private shuttingDown: Promise<void> | undefined;
  private stopping = false;
  private readonly settings: SessionSettings;
  /** Pod mode: shells run in pods (state in the cluster); undefined in local mode. */
  readonly shellPods: ShellPods | undefined;

  constructor(private readonly o: TerminalManagerOptions) {
    const c = o.config;
    if (c.terminal.mode === 'pod') {
      this.shellPods = new ShellPods({
        config: c,
        kube: o.kube,
        managementKubeConfig: o.managementKubeConfig,
        log: o.log,
        heldSessions: () => [...this.sessions.values()].filter((s) => !s.isEnded && s.inPod).map((s) => s.id),
        onTakenOver: (id) =>
          void this.sessions
            .get(id)
            ?.end('moved', redLine('terminal session taken over by a newer connection'), CLOSE.takenOver),
      });
      this.shellPods.start();
    } else {
      o.log.warn(
        "BUTLER_TERMINAL_MODE=local: terminal shells run inside the server's process tree; use this for development only",
      );
    }
    this.settings = {
      idleTimeoutMs: c.terminal.idleTimeoutMs,
      maxLifetimeMs: c.terminal.maxLifetimeMs,
      reattachGraceMs: c.terminal.reattachGraceMs,
      scrollbackBytes: c.terminal.scrollbackBytes,
      pingIntervalMs: c.ws.pingIntervalMs,
      maxMessageBytes: c.ws.maxMessageBytes,
    };
  }

  get size(): number {
    return this.sessions.size;
  }

  get isShuttingDown(): boolean {
    return this.stopping;
  }

  /** Every running session. */
  all(): TerminalSession[] {
    return [...this.sessions.values()];
  }

  get(id: string): TerminalSession | undefined {
    return this.sessions.get(id);
  }

  list(): TerminalSessionInfo[] {
    return [...this.sessions.values()].map((s) => ({
      id: s.id,
      user: s.user,
      kind: s.target.kind,
      pid: s.pid,
      attached: s.attached,
      bufferedAmount: s.bufferedAmount,
      scrollbackBytes: s.scrollbackBytes,
      paused: s.paused,
    }));
  }

  /** Counts for `butler_terminal_sessions{kind,state}`. */
  stats(): { kind: TerminalTarget['kind']; state: 'attached' | 'detached'; count: number }[] {
    const counts = new Map<string, number>();
    for (const s of this.sessions.values()) {
      const key = `${s.target.kind}|${s.attached ? 'attached' : 'detached'}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([key, count]) => {
      const [kind, state] = key.split('|') as [TerminalTarget['kind'], 'attached' | 'detached'];
      return { kind, state, count };
    });
  }

  /** A new session id: lowercase hex, so it fits pod names and label values. */
  newId(): string {
    return randomBytes(16).toString('hex');
  }

  /**
   * Takes a slot for a new session `id` of `user`, or throws a 4429 refusal. In pod mode the shell pods of every
   * replica count too.
   */
  reserve(user: string, id: string): Reservation {
    const { maxPerUser, maxTotal } = this.o.config.terminal;
    const elsewhere = this.shellPods?.counts(new Set([...this.sessions.keys(), ...this.reservedIds, ...this.ending]));
    if ((this.perUser.get(user) ?? 0) + (elsewhere?.perUser.get(user) ?? 0) >= maxPerUser)
      throw new TerminalRefusal(CLOSE.tooMany, `too many terminal sessions (limit ${maxPerUser} per user)`);
    if (this.sessions.size + this.reserved + (elsewhere?.total ?? 0) >= maxTotal)
      throw new TerminalRefusal(CLOSE.tooMany, `too many terminal sessions on this server (limit ${maxTotal})`);
    this.reserved++;
    this.reservedIds.add(id);
    this.addUser(user, 1);
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.reserved--;
        this.reservedIds.delete(id);
        this.addUser(user, -1);
      },
    };
  }

  /** Resolves the target and starts its backend (PTY, shell pod or exec stream). Throws TerminalRefusal. */
  open(target: TerminalTarget, session: ShellSession): Promise<OpenedTarget> {
    return openTarget(
      target,
      {
        config: this.o.config,
        kube: this.o.kube,
        managementKubeConfig: this.o.managementKubeConfig,
        tenants: this.o.tenants,
        ...(this.shellPods ? { shellPods: this.shellPods } : {}),
      },
      session,
    );
  }

  /**
   * Pod mode: a session this replica does not hold (started or last held elsewhere) is taken over from the cluster.
   * Throws TerminalRefusal (4404 expired, 4403 another user's).
   */
  async adopt(o: { id: string; user: string; target: TerminalTarget; path: string }): Promise<TerminalSession> {
    if (!this.shellPods || this.stopping) throw new TerminalRefusal(CLOSE.notFound, 'terminal session expired');
    const adopted = await this.shellPods.adopt(o.id, o.user, o.path);
    const existing = this.sessions.get(o.id);
    if (existing && !existing.isEnded) {
      // A concurrent reattach on this replica won the race.
      await adopted.backend.terminate();
      return existing;
    }
    const remaining = adopted.createdAt + this.settings.maxLifetimeMs - Date.now();
    return this.track(
      o.id,
      o.user,
      o.target,
      o.path,
      { backend: adopted.backend, showExitStatus: false, redrawOnAttach: true },
      {
        ...this.settings,
        maxLifetimeMs: Math.max(1, remaining),
      },
    );
  }

  /** Creates the session for an opened backend, turning the reservation into the session's slot. */
  create(o: {
    id: string;
    user: string;
    target: TerminalTarget;
    path: string;
    opened: OpenedTarget;
    reservation: Reservation;
  }): TerminalSession {
    // The slot passes from the reservation to the session.
    o.reservation.release();
    return this.track(o.id, o.user, o.target, o.path, o.opened, this.settings);
  }

  private track(
    id: string,
    user: string,
    target: TerminalTarget,
    path: string,
    opened: OpenedTarget,
    settings: SessionSettings,
  ): TerminalSession {
    const recording = this.startRecording(id, path);
    const log = this.o.log;
    const session = new TerminalSession(id, user, target, path, opened.backend, {
      settings,
      revocations: this.o.revocations,
      showExitStatus: opened.showExitStatus,
      redrawOnAttach: opened.redrawOnAttach === true,
      inPod: opened.backend instanceof PodShell,
      ...(recording ? { recording } : {}),
      audit: (event: string, fields: SessionAuditFields) =>
        log.info({ audit: true, event, ...fields, user: fields.user.slice(0, 64) }, `audit ${event}`),
      onEnded: (s) => {
        if (this.sessions.delete(s.id)) this.addUser(s.user, -1);
        // Its pod is being deleted: the cluster's count must not bring it back meanwhile.
        this.ending.add(s.id);
        // (`finished` is set once end() returns.)
        queueMicrotask(() => void s.finished.finally(() => this.ending.delete(s.id)));
      },
    });
    this.addUser(user, 1);
    this.sessions.set(id, session);
    if (this.stopping) void session.end('shutdown', redLine('server is shutting down'), CLOSE.goingAway);
    return session;
  }

  /** Ends every session (red `server is shutting down`, 1001) and resolves when their processes are gone. */
  closeAll(): Promise<void> {
    if (this.shuttingDown) return this.shuttingDown;
    this.stopping = true;
    this.shellPods?.stop();
    this.shellPods?.handOver();
    const ends = [...this.sessions.values()].map((s) =>
      s.end('shutdown', redLine('server is shutting down'), CLOSE.goingAway),
    );
    this.shuttingDown = Promise.all(ends).then(() => undefined);
    return this.shuttingDown;
  }

  private addUser(user: string, delta: number): void {
    const n = (this.perUser.get(user) ?? 0) + delta;
    if (n > 0) this.perUser.set(user, n);
    else this.perUser.delete(user);
  }

  private startRecording(id: string, title: string): Recording | undefined {
    const dir = this.o.config.terminal.recordingDir;
    if (!dir) return undefined;
    try {
      return new Recording(Recording.fileName(dir, id), { width: 80, height: 24, title }, (err) =>
        this.o.log.error({ err, sessionId: id }, 'terminal recording failed'),
      );
    } catch (err) {
      this.o.log.error({ err, sessionId: id }, 'terminal recording could not be started');
      return undefined;
    }
  }
}
