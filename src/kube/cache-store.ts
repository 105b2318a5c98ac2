// The in-memory object store behind a ResourceCache: objects by `namespace/name`, a sorted list and its JSON
// serialisation computed once per change (not once per read).

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  resourceVersion?: string;
  managedFields?: unknown;
}

export interface KubeObjectLike {
  metadata?: ObjectMeta;
}

/** A Kubernetes object as JSON (callers narrow spec and status). */
export interface KubeObject extends KubeObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta & { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export type StoreChange<T> = { type: 'ADDED' | 'MODIFIED'; object: T } | { type: 'DELETED'; object: T };

export function objectKey(o: KubeObjectLike): string {
  const m = o.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name ?? ''}` : (m.name ?? '');
}

/** Removes `metadata.managedFields` (in place: the object was just parsed from an API answer and is ours). */
export function stripManagedFields<T>(o: T): T {
  const meta = (o as KubeObjectLike | undefined)?.metadata;
  if (meta && 'managedFields' in meta) delete meta.managedFields;
  return o;
}

/** The one order of object lists: by namespace, then by name (code-unit order, as the API server sorts). */
export function compareByNamespaceName(a: KubeObjectLike, b: KubeObjectLike): number {
  const an = a.metadata?.namespace ?? '';
  const bn = b.metadata?.namespace ?? '';
  if (an !== bn) return an < bn ? -1 : 1;
  const a1 = a.metadata?.name ?? '';
  const b1 = b.metadata?.name ?? '';
  return a1 < b1 ? -1 : a1 > b1 ? 1 : 0;
}

const MAX_MEMO_NAMESPACES = 64;

export class ObjectStore<T> {
  private readonly objects = new Map<string, T>();
  private sorted: T[] | undefined;
  private readonly byNamespace = new Map<string, T[]>();
  private readonly json = new Map<string, string>();

  get size(): number {
    return this.objects.size;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.objects.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Applies one watch event; returns the previous object, if any. */
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: T): T | undefined {
    const key = objectKey(object as KubeObjectLike);
    const previous = this.objects.get(key);
    if (type === 'DELETED') this.objects.delete(key);
    else this.objects.set(key, object);
    this.invalidate();
    return previous;
  }

  /**
   * Replaces the whole content (after a LIST) and returns the difference to the previous content: ADDED for new
   * objects, MODIFIED for objects whose resourceVersion changed, DELETED for vanished ones (with their last state).
   */
  replace(items: T[]): StoreChange<T>[] {
    const changes: StoreChange<T>[] = [];
    const next = new Map<string, T>();
    for (const item of items) {
      const key = objectKey(item as KubeObjectLike);
      next.set(key, item);
      const old = this.objects.get(key);
      if (old === undefined) changes.push({ type: 'ADDED', object: item });
      else if ((old as KubeObjectLike).metadata?.resourceVersion !== (item as KubeObjectLike).metadata?.resourceVersion)
        changes.push({ type: 'MODIFIED', object: item });
    }
    for (const [key, old] of this.objects) if (!next.has(key)) changes.push({ type: 'DELETED', object: old });
    this.objects.clear();
    for (const [k, v] of next) this.objects.set(k, v);
    this.invalidate();
    return changes;
  }

  /** Sorted by namespace, then name. The array is shared until the next change: callers must not modify it. */
  list(namespace?: string): readonly T[] {
    this.sorted ??= [...this.objects.values()].sort((a, b) =>
      compareByNamespaceName(a as KubeObjectLike, b as KubeObjectLike),
    );
    if (namespace === undefined) return this.sorted;
    let inNamespace = this.byNamespace.get(namespace);
    if (!inNamespace) {
      // Namespaces come from requests: keep the memo bounded.
      if (this.byNamespace.size >= MAX_MEMO_NAMESPACES) this.byNamespace.clear();
      inNamespace = this.sorted.filter((o) => (o as KubeObjectLike).metadata?.namespace === namespace);
      this.byNamespace.set(namespace, inNamespace);
    }
    return inNamespace;
  }

  /** JSON text of `list(namespace)`, serialised once per change. */
  listJson(namespace?: string): string {
    const key = namespace === undefined ? '\u0000all' : namespace;
    let text = this.json.get(key);
    if (text === undefined) {
      if (this.json.size >= MAX_MEMO_NAMESPACES) this.json.clear();
      text = JSON.stringify(this.list(namespace));
      this.json.set(key, text);
    }
    return text;
  }

  private invalidate(): void {
    this.sorted = undefined;
    this.byNamespace.clear();
    this.json.clear();
  }
}
