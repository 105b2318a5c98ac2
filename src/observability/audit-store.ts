// The queryable audit store behind GET /api/admin/audit: every audit line the server logs (src/observability/audit.ts
// taps the log destination) becomes one entry. Bounded in bytes: two segments of at most half the bound each; when the
// current one is full it becomes the previous one and the oldest is dropped. With a directory the segments are two
// append-only JSON-lines files (audit.jsonl, audit.1.jsonl) that a restart reads back; without one, memory only.
// Each server replica keeps its own store.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

export interface AuditEntry {
  timestamp: string;
  user: string;
  action: string;
  success: boolean;
  /** The target as the audit line names it: `ns/name`, `ns/name#addon`, a cluster, a user. */
  resource?: string;
  resourceType?: string;
  resourceNamespace?: string;
  resourceName?: string;
  httpMethod?: string;
  path?: string;
  statusCode?: number;
  errorMessage?: string;
  sourceIP?: string;
  requestId?: string;
}

export interface AuditQuery {
  user?: string;
  action?: string;
  resourceType?: string;
  resource?: string;
  success?: boolean;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

export interface AuditPage {
  entries: AuditEntry[];
  total: number;
  offset: number;
  limit: number;
}

export interface AuditStore {
  /** Records one audit log line (a JSON object marked `"audit":true`); other text is ignored. */
  recordLine(line: string): void;
  record(entry: AuditEntry): void;
  /** Newest first. */
  query(q: AuditQuery): AuditPage;
  /** Where entries survive a restart (undefined: memory only). */
  readonly dir: string | undefined;
  close(): void;
}

interface Segment {
  entries: AuditEntry[];
  bytes: number;
}

const CURRENT = 'audit.jsonl';
const PREVIOUS = 'audit.1.jsonl';
const str = (v: unknown, max = 512): string | undefined =>
  typeof v === 'string' && v !== '' ? v.slice(0, max) : typeof v === 'number' ? String(v) : undefined;

const SESSION_ACTIONS = new Set(['login', 'logout', 'refresh', 'session', 'sso']);

/** `cluster.create` → cluster; `POST /api/teams/:name` → teams; `login.success` → session. */
function resourceTypeOf(action: string): string | undefined {
  const route = /^[A-Z]+ \/api\/(?:admin\/)?([a-z-]+)/.exec(action);
  if (route) return route[1];
  const prefix = /^[a-z-]+/.exec(action)?.[0];
  if (!prefix) return undefined;
  return SESSION_ACTIONS.has(prefix) ? 'session' : prefix;
}

/** The entry of one parsed audit line (fields as the server's audit lines name them). */
export function entryOf(line: Record<string, unknown>): AuditEntry {
  const action = str(line.event, 200) ?? str(line.msg, 200)?.replace(/^audit /, '') ?? 'unknown';
  const status = typeof line.status === 'number' ? line.status : undefined;
  const result = str(line.result, 64);
  const resource =
    str(line.target) ?? str(line.cluster) ?? (str(line.tokenId) ? `kubectl-token/${str(line.tokenId)}` : undefined);
  const plain = resource?.split('#')[0];
  const parts = plain?.split('/') ?? [];
  const entry: AuditEntry = {
    timestamp: str(line.time, 64) ?? new Date().toISOString(),
    user: str(line.user, 64) ?? '',
    action,
    success: result !== undefined ? result === 'success' : status === undefined || status < 400,
  };
  const optional: Partial<AuditEntry> = {
    resource,
    resourceType: resourceTypeOf(action),
    resourceNamespace: parts.length === 2 ? parts[0] : undefined,
    resourceName: parts.length === 2 ? parts[1] : parts.length === 1 ? parts[0] : undefined,
    httpMethod: str(line.method, 16),
    path: str(line.path, 512),
    statusCode: status,
    errorMessage: result !== undefined && result !== 'success' ? (str(line.detail, 300) ?? result) : undefined,
    sourceIP: str(line.address, 64),
    requestId: str(line.requestId, 128),
  };
  for (const [k, v] of Object.entries(optional))
    if (v !== undefined) (entry as unknown as Record<string, unknown>)[k] = v;
  return entry;
}

function matches(e: AuditEntry, q: AuditQuery): boolean {
  if (q.user && !e.user.toLowerCase().includes(q.user.toLowerCase())) return false;
  if (q.action && e.action !== q.action && !e.action.startsWith(`${q.action}.`)) return false;
  if (q.resourceType && e.resourceType !== q.resourceType) return false;
  if (q.resource && !(e.resource ?? '').toLowerCase().includes(q.resource.toLowerCase())) return false;
  if (q.success !== undefined && e.success !== q.success) return false;
  if (q.from || q.to) {
    const t = Date.parse(e.timestamp);
    if (q.from && !(t >= q.from.getTime())) return false;
    if (q.to && !(t <= q.to.getTime())) return false;
  }
  return true;
}

function readSegment(file: string, limit: number): { segment: Segment; trimmed: boolean } {
  const segment: Segment = { entries: [], bytes: 0 };
  if (!existsSync(file)) return { segment, trimmed: false };
  const lines = readFileSync(file, 'utf8').split('\n');
  let trimmed = false;
  for (const line of lines) {
    if (line === '') continue;
    try {
      const entry = JSON.parse(line) as AuditEntry;
      if (typeof entry?.action !== 'string' || typeof entry.timestamp !== 'string') continue;
      segment.entries.push(entry);
      segment.bytes += Buffer.byteLength(line) + 1;
    } catch {
      // A line cut short by a crash: skipped (and dropped when the segment is rewritten).
      trimmed = true;
    }
  }
  while (segment.bytes > limit && segment.entries.length > 0) {
    const dropped = segment.entries.shift()!;
    segment.bytes -= Buffer.byteLength(JSON.stringify(dropped)) + 1;
    trimmed = true;
  }
  return { segment, trimmed };
}

const serialise = (entries: AuditEntry[]) => entries.map((e) => `${JSON.stringify(e)}\n`).join('');

export interface AuditStoreOptions {
  dir?: string;
  maxBytes: number;
  /** Told once when the directory cannot be written (entries are then kept in memory only). */
  onWriteError?: (err: unknown) => void;
}

export function createAuditStore(opts: AuditStoreOptions): AuditStore {
  const half = Math.max(1024, Math.floor(opts.maxBytes / 2));
  let previous: Segment = { entries: [], bytes: 0 };
  let current: Segment = { entries: [], bytes: 0 };
  let fd: number | undefined;
  let failed = false;
  const dir = opts.dir;

  const fail = (err: unknown) => {
    if (!failed) opts.onWriteError?.(err);
    failed = true;
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  };

  if (dir) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const prev = readSegment(join(dir, PREVIOUS), half);
    const cur = readSegment(join(dir, CURRENT), half);
    previous = prev.segment;
    current = cur.segment;
    if (prev.trimmed) writeFileSync(join(dir, PREVIOUS), serialise(previous.entries), { mode: 0o600 });
    if (cur.trimmed) writeFileSync(join(dir, CURRENT), serialise(current.entries), { mode: 0o600 });
    fd = openSync(join(dir, CURRENT), 'a', 0o600);
  }

  function rotate(): void {
    previous = current;
    current = { entries: [], bytes: 0 };
    if (!dir || fd === undefined) return;
    try {
      closeSync(fd);
      fd = undefined;
      renameSync(join(dir, CURRENT), join(dir, PREVIOUS));
      fd = openSync(join(dir, CURRENT), 'a', 0o600);
    } catch (err) {
      fail(err);
    }
  }

  const store: AuditStore = {
    dir,
    record(entry) {
      const line = `${JSON.stringify(entry)}\n`;
      const size = Buffer.byteLength(line);
      if (size > half) return;
      if (current.bytes + size > half) rotate();
      current.entries.push(entry);
      current.bytes += size;
      if (fd !== undefined) {
        try {
          writeSync(fd, line);
        } catch (err) {
          fail(err);
        }
      }
    },
    recordLine(line) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return;
      }
      if (typeof parsed !== 'object' || parsed === null || (parsed as { audit?: unknown }).audit !== true) return;
      store.record(entryOf(parsed as Record<string, unknown>));
    },
    query(q) {
      let total = 0;
      const entries: AuditEntry[] = [];
      for (const segment of [current, previous])
        for (let i = segment.entries.length - 1; i >= 0; i--) {
          const e = segment.entries[i]!;
          if (!matches(e, q)) continue;
          if (total >= q.offset && entries.length < q.limit) entries.push(e);
          total++;
        }
      return { entries, total, offset: q.offset, limit: q.limit };
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
  return store;
}
