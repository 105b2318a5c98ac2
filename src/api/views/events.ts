// ClusterEvent view and ordering (docs/api.md §3.1 GET …/events).
export interface ClusterEvent {
  type: string;
  reason: string;
  message: string;
  count: number;
  source: string;
  lastTimestamp: string;
  firstTimestamp: string;
  involvedObject: { kind: string; name: string; namespace?: string };
}

export interface KubeEvent {
  metadata?: { name?: string; namespace?: string; creationTimestamp?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  series?: { count?: number; lastObservedTime?: string };
  source?: { component?: string };
  reportingComponent?: string;
  lastTimestamp?: string | null;
  firstTimestamp?: string | null;
  eventTime?: string | null;
  involvedObject?: { kind?: string; name?: string; namespace?: string };
}

const ZERO_TIME = /^0001-01-01/;
const real = (t: string | null | undefined): string | undefined => (t && !ZERO_TIME.test(t) ? t : undefined);

export function toClusterEvent(e: KubeEvent): ClusterEvent & { sortName: string } {
  const last =
    real(e.lastTimestamp) ??
    real(e.series?.lastObservedTime) ??
    real(e.eventTime) ??
    real(e.metadata?.creationTimestamp) ??
    '';
  const first = real(e.firstTimestamp) ?? real(e.eventTime) ?? real(e.metadata?.creationTimestamp) ?? last;
  const involved: ClusterEvent['involvedObject'] = {
    kind: e.involvedObject?.kind ?? '',
    name: e.involvedObject?.name ?? '',
  };
  if (e.involvedObject?.namespace) involved.namespace = e.involvedObject.namespace;
  return {
    type: e.type ?? '',
    reason: e.reason ?? '',
    message: e.message ?? '',
    count: e.count ?? e.series?.count ?? 1,
    source: e.source?.component || e.reportingComponent || '',
    lastTimestamp: last,
    firstTimestamp: first,
    involvedObject: involved,
    sortName: `${e.metadata?.namespace ?? ''}/${e.metadata?.name ?? ''}`,
  };
}

/** Newest first by lastTimestamp (ties by name), cut to limit; duplicates of one Event (same ns/name) kept once. */
export function newestEvents(events: KubeEvent[], limit: number): ClusterEvent[] {
  const seen = new Set<string>();
  const views = [];
  for (const e of events) {
    const v = toClusterEvent(e);
    if (seen.has(v.sortName)) continue;
    seen.add(v.sortName);
    views.push({ v, t: Date.parse(v.lastTimestamp) || 0 });
  }
  views.sort((a, b) => b.t - a.t || (a.v.sortName < b.v.sortName ? -1 : a.v.sortName > b.v.sortName ? 1 : 0));
  return views.slice(0, limit).map(({ v }) => {
    const { sortName: _s, ...event } = v;
    return event;
  });
}
