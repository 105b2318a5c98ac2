// Watch streams: JSON lines over a chunked HTTP response, like kube-apiserver's watch cache.
import type { ServerResponse } from 'node:http';
import { apiVersionOf, type ResourceType } from './resources.js';
import type { ApiState } from './state.js';
import { expired } from './status.js';
import type { Entry, StoredEvent, StoreWatcher } from './store.js';
import { badRequest } from './status.js';
import { tableWatchLine, type IncludeObject, type TableVersion } from './table.js';

export interface WatchParams {
  rt: ResourceType;
  ns: string | undefined;
  resourceVersion: string | null;
  labelSelector: string | null;
  fieldSelector: string | null;
  allowBookmarks: boolean;
  timeoutSeconds: number | null;
  sendInitialEvents: boolean | null;
  /** `as=Table` watches (kubectl get -w): objects become one-row Tables, headers only in the first. */
  table?: { version: TableVersion; includeObject: IncludeObject };
}

export interface ActiveWatch {
  close(): void;
}

function line(type: string, objectJson: string): string {
  return `{"type":"${type}","object":${objectJson}}\n`;
}

/** Starts a watch; throws ApiError before any byte is written when the request is invalid. */
export function startWatch(
  state: ApiState,
  p: WatchParams,
  res: ServerResponse,
  active: Set<ActiveWatch>,
  bookmarkIntervalMs: number,
): void {
  const match = state.matcher(p.rt, p.ns, p.labelSelector, p.fieldSelector);
  const store = state.store(p.rt);
  const av = apiVersionOf(p.rt);
  let backlog: string[] = [];
  let expiredError: string | undefined;
  const rvParam = p.resourceVersion ?? '';
  let initialEnd = false;
  // Like the watch cache: only events after the requested version are sent. A version the store has not reached yet
  // (an API server that lost its state) is accepted, and the stream stays silent until the store passes it.
  let after = 0;
  if (rvParam === '' || rvParam === '0' || p.sendInitialEvents === true) {
    if (p.sendInitialEvents !== false) {
      for (const key of store.sortedKeys()) {
        const e = store.items.get(key)!;
        if (match(e.obj)) backlog.push(line('ADDED', state.viewJson(p.rt, e)));
      }
      initialEnd = p.sendInitialEvents === true;
    }
  } else {
    if (!/^\d+$/.test(rvParam))
      throw badRequest(
        `resourceVersion: Invalid value: "${rvParam}": strconv.ParseUint: parsing "${rvParam}": invalid syntax`,
      );
    const rv = Number(rvParam);
    after = rv;
    const events = store.eventsAfter(rv);
    if (!events) {
      const err = expired(`too old resource version: ${rv} (${store.floor})`);
      expiredError = line('ERROR', JSON.stringify(err.status));
    } else {
      backlog = [];
      for (const ev of events) {
        const l = eventLine(state, p.rt, ev, match);
        if (l) backlog.push(l);
      }
    }
  }

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  if (expiredError) {
    res.end(expiredError);
    return;
  }

  let headersSent = false;
  const out = (l: string): string => {
    if (!p.table) return l;
    const t = tableWatchLine(p.rt, l, { ...p.table, noHeaders: headersSent });
    if (t !== l) headersSent = true;
    return t;
  };
  let closed = false;
  const timers: NodeJS.Timeout[] = [];
  const watcher: StoreWatcher & ActiveWatch = {
    onEvent(ev: StoredEvent) {
      if (closed || ev.rv <= after) return;
      const l = eventLine(state, p.rt, ev, match);
      if (l) res.write(out(l));
    },
    close() {
      if (closed) return;
      cleanup();
      res.end();
    },
  };
  const cleanup = () => {
    closed = true;
    for (const t of timers) clearTimeout(t);
    store.watchers.delete(watcher);
    active.delete(watcher);
  };
  const bookmark = (annotations?: Record<string, string>) => {
    const metadata: Record<string, unknown> = { resourceVersion: String(state.rv) };
    if (annotations) metadata.annotations = annotations;
    return line('BOOKMARK', JSON.stringify({ kind: p.rt.kind, apiVersion: av, metadata }));
  };
  store.watchers.add(watcher);
  active.add(watcher);
  res.on('close', cleanup);
  if (backlog.length > 0) res.write(backlog.map(out).join(''));
  if (initialEnd && p.allowBookmarks) res.write(bookmark({ 'k8s.io/initial-events-end': 'true' }));
  if (p.allowBookmarks) {
    const t = setInterval(() => {
      if (!closed && state.rv > after) res.write(bookmark());
    }, bookmarkIntervalMs);
    t.unref();
    timers.push(t);
  }
  if (p.timeoutSeconds !== null && p.timeoutSeconds >= 0) {
    const t = setTimeout(() => watcher.close(), p.timeoutSeconds * 1000);
    t.unref();
    timers.push(t);
  }
}

/** The line one watcher receives for an event, with the watch cache's selector transitions. */
function eventLine(
  state: ApiState,
  rt: ResourceType,
  ev: StoredEvent,
  match: (obj: any) => boolean,
): string | undefined {
  const nowMatches = ev.type === 'DELETED' ? false : match(ev.entry.obj);
  const before = ev.prev ? match(ev.prev.obj) : false;
  let type: string;
  let source: Entry = ev.entry;
  let useOldWithNewRv = false;
  if (ev.type === 'ADDED') {
    if (!nowMatches) return undefined;
    type = 'ADDED';
  } else if (ev.type === 'DELETED') {
    if (!(before || match(ev.entry.obj))) return undefined;
    type = 'DELETED';
  } else if (nowMatches && before) type = 'MODIFIED';
  else if (nowMatches) type = 'ADDED';
  else if (before) {
    type = 'DELETED';
    source = ev.prev!;
    useOldWithNewRv = true;
  } else return undefined;
  const cacheKey = `${type}|${apiVersionOf(rt)}|${useOldWithNewRv ? 'old' : 'new'}`;
  ev.lines ??= new Map();
  let l = ev.lines.get(cacheKey);
  if (l === undefined) {
    let json: string;
    if (useOldWithNewRv) {
      const obj = state.view(rt, source);
      json = JSON.stringify({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(ev.rv) } });
    } else json = state.viewJson(rt, source);
    l = line(type, json);
    ev.lines.set(cacheKey, l);
  }
  return l;
}
