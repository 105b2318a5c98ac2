// One terminal session: owns its backend (PTY or exec stream), the attached socket, timers, the login-session watch,
// the scrollback and the recording. Every method is a no-op once the session has ended.
import type { WebSocket } from 'ws';
import type { RevocationStore } from '../auth/revocations.js';
import { watchSession } from '../auth/session-watch.js';
import type { Identity, Session as LoginSession } from '../auth/session.js';
import { AttachedSocket } from './attached-socket.js';
import type { BackendExit, TerminalBackend } from './backend.js';
import { parseClientFrame } from './client-frames.js';
import { CLOSE, formatDuration, redLine, sessionIdSequence } from './close-codes.js';
import type { Recording } from './recording.js';
import { Scrollback, splitUtf8 } from './scrollback.js';
import type { TerminalTarget } from './target.js';

export type EndReason =
  | 'exit'
  | 'closed'
  | 'idle'
  | 'lifetime'
  | 'expired'
  | 'revoked'
  | 'grace-expired'
  | 'shutdown'
  | 'access-removed'
  /** Pod mode: another replica took the session over; the shell goes on there. */
  | 'moved';

/** Output is coalesced for up to this long, or until a frame holds FRAME_MAX_BYTES. */
const REDRAW_WAIT_MS = 1000;
const COALESCE_MS = 10;
const FRAME_MAX_BYTES = 64 * 1024;
/** With more than this unsent on the socket the backend is paused; below LOW_WATER it resumes. */
export const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SessionSettings {
  idleTimeoutMs: number;
  maxLifetimeMs: number;
  reattachGraceMs: number;
  scrollbackBytes: number;
  pingIntervalMs: number;
  maxMessageBytes: number;
}

export interface SessionAuditFields {
  sessionId: string;
  user: string;
  target: { kind: TerminalTarget['kind']; path: string };
  address: string;
  reattach?: boolean;
  durationMs?: number;
  bytesIn?: number;
  bytesOut?: number;
  exitCode?: number | null;
  reason?: EndReason;
}

export interface SessionDeps {
  settings: SessionSettings;
  revocations: RevocationStore;
  audit(event: 'terminal.start' | 'terminal.end', fields: SessionAuditFields): void;
  recording?: Recording;
  /** Pod exec sessions print the exit status as a last line. */
  showExitStatus: boolean;
  /** The shell runs in a shell pod (pod mode). */
  inPod?: boolean;
  /**
   * The session was taken over from another replica, which kept its scrollback. The client's first resize is sent
   * twice (one row less, then its size), so the shell gets a SIGWINCH and redraws its prompt instead of a blank screen.
   */
  redrawOnAttach?: boolean;
  /** Called once, synchronously, when the session ends (the manager forgets it). */
  onEnded(session: TerminalSession): void;
}

type PauseReason = 'socket' | 'recording';

export class TerminalSession {
  readonly startedAt = Date.now();
  /** Output only: input from the socket is dropped (team viewers, platform viewers). */
  readOnly = false;
  /** The login identity and the team of the target, for re-checking access when roles change. */
  owner: { identity: Identity; team: string | undefined } | undefined;
  bytesIn = 0;
  bytesOut = 0;
  private socket: AttachedSocket | undefined;
  private address = '';
  private ended = false;
  private endReason: EndReason | undefined;
  private exitCode: number | null = null;
  private done: Promise<void> | undefined;
  private readonly decoder = new TextDecoder('utf-8');
  private readonly scrollback: Scrollback;
  private pending: string[] = [];
  private pendingBytes = 0;
  private cancelFlush: (() => void) | undefined;
  private flushAfterInput = false;
  private lastActivity = Date.now();
  private readonly pauses = new Set<PauseReason>();
  private idleTimer: NodeJS.Timeout | undefined;
  private redrawPending: boolean;
  private restoreSize: (() => void) | undefined;
  private readonly lifetimeTimer: NodeJS.Timeout;
  private graceTimer: NodeJS.Timeout | undefined;
  private stopWatch: (() => void) | undefined;

  constructor(
    readonly id: string,
    readonly user: string,
    readonly target: TerminalTarget,
    /** The request path (without query) a reattach must repeat. */
    readonly path: string,
    private readonly backend: TerminalBackend,
    private readonly deps: SessionDeps,
  ) {
    this.scrollback = new Scrollback(deps.settings.scrollbackBytes);
    this.redrawPending = deps.redrawOnAttach === true;
    backend.onOutput((chunk) => this.onOutput(chunk));
    backend.onExit((exit) => this.onExit(exit));
    this.armIdle(deps.settings.idleTimeoutMs);
    const lifetime = deps.settings.maxLifetimeMs;
    this.lifetimeTimer = setTimeout(
      () =>
        this.end('lifetime', `session closed: maximum lifetime of ${formatDuration(lifetime)} reached`, CLOSE.normal),
      Math.min(lifetime, MAX_TIMER_MS),
    );
    this.lifetimeTimer.unref();
  }

  get pid(): number | undefined {
    return this.backend.pid;
  }

  get inPod(): boolean {
    return this.deps.inPod === true;
  }

  get attached(): boolean {
    return this.socket !== undefined;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get scrollbackBytes(): number {
    return this.scrollback.size;
  }

  get bufferedAmount(): number {
    return this.socket?.bufferedAmount ?? 0;
  }

  get paused(): boolean {
    return this.pauses.size > 0;
  }

  /** Resolves when the backend is gone and the end is audited (immediately resolved while running). */
  get finished(): Promise<void> {
    return this.done ?? Promise.resolve();
  }

  /**
   * Attaches a socket (first attach or reattach): the id as OSC 7717, the scrollback, then live output. A socket still
   * attached is closed with 4409.
   */
  attach(ws: WebSocket, login: LoginSession, address: string, reattach: boolean): void {
    if (this.ended) {
      ws.send(redLine('terminal session expired'));
      ws.close(CLOSE.notFound, 'terminal session expired');
      return;
    }
    if (this.socket) {
      this.socket.send(redLine('terminal session taken over by a newer connection'));
      this.socket.close(CLOSE.takenOver, 'terminal session taken over');
    }
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    this.address = address;
    const { settings } = this.deps;
    this.socket = new AttachedSocket(
      ws,
      { pingIntervalMs: settings.pingIntervalMs, maxMessageBytes: settings.maxMessageBytes },
      { onMessage: (data, isBinary) => this.onInput(data, isBinary), onClose: (code) => this.onSocketClosed(code) },
    );
    this.cancelPendingFlush();
    this.pending = [];
    this.pendingBytes = 0;
    this.resumeFor('socket');
    this.deps.audit('terminal.start', { ...this.auditBase(), reattach });
    this.sendFrame(sessionIdSequence(this.id));
    for (const piece of splitUtf8(this.scrollback.text(), FRAME_MAX_BYTES)) this.sendFrame(piece);
    // Last: an already expired login session ends the terminal right here, with the socket in place for the 4401.
    this.stopWatch?.();
    this.stopWatch = watchSession(this.deps.revocations, login, (why) =>
      this.end(
        why,
        why === 'revoked' ? 'session revoked; please log in again' : 'login session expired',
        CLOSE.unauthenticated,
      ),
    );
  }

  /** A session with no socket (taken over from the cluster, but the socket left meanwhile) waits for the grace. */
  detached(): void {
    if (!this.socket && !this.ended && !this.graceTimer) this.onSocketClosed(1006);
  }

  /** Input received before the session existed (while the target was resolved). */
  replayInput(messages: [Buffer, boolean][]): void {
    for (const [data, isBinary] of messages) this.onInput(data, isBinary);
  }

  /**
   * Ends the session: remaining output, an optional red line and the close code go to an attached socket, then the
   * backend is terminated and cleaned up. Resolves when all of that is done.
   */
  end(reason: EndReason, line?: string, code: number = CLOSE.normal): Promise<void> {
    if (this.ended) return this.finished;
    this.ended = true;
    this.endReason = reason;
    clearTimeout(this.lifetimeTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.stopWatch?.();
    const tail = this.decoder.decode();
    if (tail) this.emitText(tail, Buffer.byteLength(tail));
    if (this.socket) {
      this.flush();
      if (line) this.socket.send(line.endsWith('\r\n') ? line : redLine(line));
      this.socket.close(code, reason);
      this.socket = undefined;
    }
    this.deps.onEnded(this);
    this.done = (async () => {
      try {
        await this.backend.terminate();
      } finally {
        await this.deps.recording?.close();
        this.scrollback.clear();
        this.deps.audit('terminal.end', {
          ...this.auditBase(),
          durationMs: Date.now() - this.startedAt,
          bytesIn: this.bytesIn,
          bytesOut: this.bytesOut,
          exitCode: this.exitCode,
          reason,
        });
      }
    })();
    return this.done;
  }

  private auditBase() {
    return {
      sessionId: this.id,
      user: this.user,
      target: { kind: this.target.kind, path: this.path },
      address: this.address,
    };
  }

  private onExit(exit: BackendExit): void {
    this.exitCode = exit.exitCode;
    if (this.ended) return;
    let line: string | undefined;
    if (exit.failure) line = redLine(exit.failure);
    else if (this.deps.showExitStatus)
      line = `\r\n[process exited${exit.exitCode === null ? '' : ` with code ${exit.exitCode}`}]\r\n`;
    void this.end('exit', line, CLOSE.normal);
  }

  private onSocketClosed(code: number): void {
    this.socket = undefined;
    this.cancelPendingFlush();
    this.pending = [];
    this.pendingBytes = 0;
    this.resumeFor('socket');
    if (this.ended) return;
    // A close the user asked for (1000, or no status at all) ends the shell; a drop, a reload (1001), a dead peer
    // keep it for the reattach grace period.
    if (code === 1000 || code === 1005) {
      void this.end('closed');
      return;
    }
    const grace = this.deps.settings.reattachGraceMs;
    if (grace <= 0) {
      void this.end('grace-expired');
      return;
    }
    this.graceTimer = setTimeout(() => void this.end('grace-expired'), Math.min(grace, MAX_TIMER_MS));
    this.graceTimer.unref();
  }

  private onInput(data: Buffer, isBinary: boolean): void {
    if (this.ended) return;
    const frame = parseClientFrame(data, isBinary);
    if (frame.kind === 'resize') {
      this.deps.recording?.resize(frame.cols, frame.rows);
      if (this.redrawPending && frame.rows > 1) return this.redrawAt(frame.cols, frame.rows);
      this.redrawPending = false;
      this.finishRedraw();
      this.backend.resize(frame.cols, frame.rows);
      return;
    }
    if (frame.kind !== 'input' || this.readOnly) return;
    const bytes = typeof frame.data === 'string' ? Buffer.byteLength(frame.data) : frame.data.length;
    if (bytes === 0) return;
    this.bytesIn += bytes;
    this.lastActivity = Date.now();
    this.flushAfterInput = true;
    this.backend.write(frame.data);
  }

  /**
   * Readline redraws only when the size it reads differs from the one it knows, so the shell first sees one row less;
   * the real size follows once it has answered (or after REDRAW_WAIT_MS for programs that ignore SIGWINCH).
   */
  private redrawAt(cols: number, rows: number): void {
    this.redrawPending = false;
    this.backend.resize(cols, rows - 1);
    const restore = () => {
      this.restoreSize = undefined;
      clearTimeout(timer);
      if (!this.ended) this.backend.resize(cols, rows);
    };
    const timer = setTimeout(restore, REDRAW_WAIT_MS);
    timer.unref();
    this.restoreSize = restore;
  }

  private finishRedraw(): void {
    this.restoreSize?.();
  }

  private onOutput(chunk: Buffer): void {
    if (this.ended) return;
    this.finishRedraw();
    this.bytesOut += chunk.length;
    this.lastActivity = Date.now();
    const text = this.decoder.decode(chunk, { stream: true });
    if (text) this.emitText(text, chunk.length);
  }

  private emitText(text: string, bytes: number): void {
    const recording = this.deps.recording;
    if (recording && !recording.output(text) && !this.pauses.has('recording')) {
      this.pauseFor('recording');
      recording.onDrain(() => this.resumeFor('recording'));
    }
    this.scrollback.push(text);
    if (!this.socket) return;
    if (this.pendingBytes > 0 && this.pendingBytes + bytes > FRAME_MAX_BYTES) this.flush();
    this.pending.push(text);
    this.pendingBytes += bytes;
    if (this.pendingBytes >= FRAME_MAX_BYTES) {
      this.flush();
    } else if (this.flushAfterInput) {
      // The answer to a keystroke goes out at once; everything else waits up to COALESCE_MS for more.
      this.flushAfterInput = false;
      this.cancelPendingFlush();
      const immediate = setImmediate(() => this.flush());
      this.cancelFlush = () => clearImmediate(immediate);
    } else if (!this.cancelFlush) {
      const timer = setTimeout(() => this.flush(), COALESCE_MS);
      this.cancelFlush = () => clearTimeout(timer);
    }
  }

  private cancelPendingFlush(): void {
    this.cancelFlush?.();
    this.cancelFlush = undefined;
  }

  private flush(): void {
    this.cancelPendingFlush();
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    for (const piece of splitUtf8(text, FRAME_MAX_BYTES)) this.sendFrame(piece);
  }

  private sendFrame(text: string): void {
    const socket = this.socket;
    if (!socket || text === '') return;
    socket.send(text, () => this.checkDrained(socket));
    if (socket.bufferedAmount > HIGH_WATER_BYTES) this.pauseFor('socket');
  }

  private checkDrained(socket: AttachedSocket): void {
    if (socket === this.socket && socket.bufferedAmount <= LOW_WATER_BYTES) this.resumeFor('socket');
  }

  private pauseFor(reason: PauseReason): void {
    if (this.ended) return;
    if (this.pauses.size === 0) this.backend.pause();
    this.pauses.add(reason);
  }

  private resumeFor(reason: PauseReason): void {
    if (!this.pauses.delete(reason) || this.ended) return;
    if (this.pauses.size === 0) this.backend.resume();
  }

  private armIdle(ms: number): void {
    const limit = this.deps.settings.idleTimeoutMs;
    this.idleTimer = setTimeout(
      () => {
        if (this.ended) return;
        const quiet = Date.now() - this.lastActivity;
        if (quiet >= limit) void this.end('idle', `session closed: idle for ${formatDuration(limit)}`, CLOSE.normal);
        else this.armIdle(limit - quiet);
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    this.idleTimer.unref();
  }

  /** The reason the session ended, for tests and metrics. */
  get reason(): EndReason | undefined {
    return this.endReason;
  }
}
