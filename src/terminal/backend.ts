// What a terminal session drives: a local shell on a PTY, or an exec stream into a pod.

export interface BackendExit {
  /** The process's exit code, or null when unknown (killed by a signal, stream lost). */
  exitCode: number | null;
  /** A failure to show as a red line (e.g. a Failure Status from the exec API). */
  failure?: string;
}

export interface TerminalBackend {
  /** Local process id, when there is one. */
  readonly pid: number | undefined;
  onOutput(listener: (chunk: Buffer) => void): void;
  onExit(listener: (exit: BackendExit) => void): void;
  write(data: string | Buffer): void;
  resize(cols: number, rows: number): void;
  /** Stop reading output (flow control); `resume` continues. */
  pause(): void;
  resume(): void;
  /** Ends the process or stream and removes everything it owns; resolves when done. Idempotent. */
  terminate(): Promise<void>;
}

export const INITIAL_COLS = 80;
export const INITIAL_ROWS = 24;
