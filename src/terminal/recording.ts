// Optional session recording in asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/): a JSON header line,
// then `[seconds, "o", text]` output and `[seconds, "r", "COLSxROWS"]` resize events. Files are created 0600; input
// is never recorded.
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';

export class Recording {
  private readonly stream: WriteStream;
  private readonly started = Date.now();
  private failed = false;
  private closed = false;

  constructor(
    readonly path: string,
    header: { width: number; height: number; title: string },
    onError: (err: Error) => void,
  ) {
    this.stream = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    this.stream.on('error', (err) => {
      this.failed = true;
      onError(err);
    });
    this.line({
      version: 2,
      width: header.width,
      height: header.height,
      timestamp: Math.floor(this.started / 1000),
      title: header.title,
      env: { TERM: 'xterm-256color' },
    });
  }

  static fileName(dir: string, sessionId: string, at = new Date()): string {
    return join(dir, `${at.toISOString().replace(/[:.]/g, '-')}-${sessionId}.cast`);
  }

  /** False when the file's buffer is full: the caller pauses output until `onDrain`. */
  output(text: string): boolean {
    return this.event('o', text);
  }

  resize(cols: number, rows: number): void {
    this.event('r', `${cols}x${rows}`);
  }

  onDrain(listener: () => void): void {
    this.stream.once('drain', listener);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }

  private event(kind: string, data: string): boolean {
    return this.line([Number(((Date.now() - this.started) / 1000).toFixed(6)), kind, data]);
  }

  private line(value: unknown): boolean {
    if (this.failed || this.closed) return true;
    return this.stream.write(`${JSON.stringify(value)}\n`);
  }
}
