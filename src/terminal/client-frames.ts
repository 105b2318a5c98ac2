// Client → server frames (docs/api.md §6.3): JSON `data` and `resize`; anything else is terminal input as-is.

export type ClientFrame =
  { kind: 'input'; data: string | Buffer } | { kind: 'resize'; cols: number; rows: number } | { kind: 'ignored' };

const MAX_COLS = 1000;
const MAX_ROWS = 500;

const inRange = (v: unknown, max: number): v is number =>
  Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max;

export function parseClientFrame(raw: Buffer, isBinary: boolean): ClientFrame {
  if (isBinary) return { kind: 'input', data: raw };
  const text = raw.toString('utf8');
  const first = text.trimStart()[0];
  if (first === '{') {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return { kind: 'input', data: text };
    }
    const m = msg as { type?: unknown; data?: unknown; cols?: unknown; rows?: unknown };
    if (m.type === 'data' && typeof m.data === 'string') return { kind: 'input', data: m.data };
    if (m.type === 'resize') {
      return inRange(m.cols, MAX_COLS) && inRange(m.rows, MAX_ROWS)
        ? { kind: 'resize', cols: m.cols, rows: m.rows }
        : { kind: 'ignored' };
    }
  }
  return { kind: 'input', data: text };
}
