// The scrollback ring: the most recent terminal output, at most `limit` UTF-8 bytes, trimmed at character boundaries.

export class Scrollback {
  private chunks: string[] = [];
  private bytes = 0;

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.bytes;
  }

  push(text: string): void {
    if (this.limit <= 0 || text === '') return;
    this.chunks.push(text);
    this.bytes += Buffer.byteLength(text);
    this.trim();
  }

  /** The whole content, oldest first. */
  text(): string {
    if (this.chunks.length > 1) this.chunks = [this.chunks.join('')];
    return this.chunks[0] ?? '';
  }

  clear(): void {
    this.chunks = [];
    this.bytes = 0;
  }

  private trim(): void {
    while (this.bytes > this.limit && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const firstBytes = Buffer.byteLength(first);
      const excess = this.bytes - this.limit;
      if (firstBytes <= excess) {
        this.chunks.shift();
        this.bytes -= firstBytes;
        continue;
      }
      const buf = Buffer.from(first);
      let cut = excess;
      // Never start inside a multi-byte character: skip continuation bytes (10xxxxxx).
      while (cut < buf.length && (buf[cut]! & 0xc0) === 0x80) cut++;
      this.chunks[0] = buf.subarray(cut).toString('utf8');
      this.bytes -= cut;
    }
  }
}

/** Splits text into pieces of at most `maxBytes` UTF-8 bytes, never inside a character. */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return [text];
  const buf = Buffer.from(text);
  const out: string[] = [];
  let start = 0;
  while (start < buf.length) {
    let end = Math.min(buf.length, start + maxBytes);
    if (end < buf.length) while (end > start + 1 && (buf[end]! & 0xc0) === 0x80) end--;
    out.push(buf.subarray(start, end).toString('utf8'));
    start = end;
  }
  return out;
}
