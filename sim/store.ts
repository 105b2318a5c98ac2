// In-memory storage: one map per resource (shared by all its versions), each object kept with its JSON
// text so lists and watch events serialise without re-encoding, plus a bounded event history per resource
// for watch resume, and the open watchers.

export interface Entry {
  /** Never mutated after it is stored: every write stores a new object. */
  readonly obj: any;
  readonly json: string;
  readonly rv: number;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEvent {
  type: EventType;
  rv: number;
  entry: Entry;
  /** The object before a MODIFIED or DELETED, for selector transitions. */
  prev?: Entry;
  /** Encoded watch lines per (type, apiVersion), filled lazily so fan-out encodes once. */
  lines?: Map<string, string>;
}

export interface StoreWatcher {
  onEvent(ev: StoredEvent): void;
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function makeEntry(obj: any): Entry {
  return { obj, json: JSON.stringify(obj), rv: Number(obj.metadata?.resourceVersion ?? 0) };
}

export class ResourceStore {
  readonly items = new Map<string, Entry>();
  readonly watchers = new Set<StoreWatcher>();
  private sorted: string[] | null = null;
  private history: StoredEvent[] = [];
  private start = 0;
  /** Events with rv <= floor are no longer retained. */
  floor: number;

  constructor(
    private readonly historySize: number,
    floor: number,
  ) {
    this.floor = floor;
  }

  get(key: string): Entry | undefined {
    return this.items.get(key);
  }

  /** Keys in storage order (etcd orders by key: namespace, then name). */
  sortedKeys(): string[] {
    if (!this.sorted) this.sorted = [...this.items.keys()].sort();
    return this.sorted;
  }

  put(key: string, entry: Entry, type: 'ADDED' | 'MODIFIED'): StoredEvent {
    const prev = this.items.get(key);
    if (!prev) this.sorted = null;
    this.items.set(key, entry);
    return this.record({ type, rv: entry.rv, entry, prev });
  }

  remove(key: string, deleted: Entry): StoredEvent | undefined {
    const prev = this.items.get(key);
    if (!prev) return undefined;
    this.items.delete(key);
    this.sorted = null;
    return this.record({ type: 'DELETED', rv: deleted.rv, entry: deleted, prev });
  }

  private record(ev: StoredEvent): StoredEvent {
    this.history.push(ev);
    if (this.history.length - this.start > this.historySize) {
      this.floor = this.history[this.start].rv;
      this.start++;
      if (this.start > 1024 && this.start * 2 > this.history.length) {
        this.history = this.history.slice(this.start);
        this.start = 0;
      }
    }
    for (const w of this.watchers) w.onEvent(ev);
    return ev;
  }

  /** Events after `rv`, or undefined when the history no longer reaches back that far. */
  eventsAfter(rv: number): StoredEvent[] | undefined {
    if (rv < this.floor) return undefined;
    let lo = this.start;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid].rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  /** Forget history: every resume from an older version now gets 410 Expired. */
  compact(currentRv: number): void {
    this.history = [];
    this.start = 0;
    this.floor = currentRv;
  }

  clear(currentRv: number): void {
    this.items.clear();
    this.sorted = null;
    this.compact(currentRv);
  }
}
