// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`: lists, gets and watches answered as meta.k8s.io Tables,
// the way kubectl get asks for them (apiserver handlers/response.go asTable, handlers/watch.go).
import { printerFor } from './printers.js';
import { apiVersionOf, type ResourceType } from './resources.js';
import { badRequest } from './status.js';

export type TableVersion = 'v1' | 'v1beta1';
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/**
 * The Table version the client asks for, taking media ranges in the client's order like the server's
 * negotiation; undefined when plain JSON comes first (or no Table is offered).
 */
export function tableVersion(accept: string): TableVersion | undefined {
  for (const range of accept.split(',')) {
    const [type, ...paramParts] = range.split(';').map((s) => s.trim());
    const params = new Map(
      paramParts.map((p) => {
        const i = p.indexOf('=');
        return [p.slice(0, i).trim().toLowerCase(), p.slice(i + 1).trim()] as const;
      }),
    );
    const mt = type.toLowerCase();
    if (mt !== 'application/json' && mt !== '*/*' && mt !== 'application/*') continue;
    const as = params.get('as');
    if (as === undefined) return undefined;
    if (as === 'Table' && params.get('g') === 'meta.k8s.io') {
      const v = params.get('v');
      if (v === 'v1' || v === 'v1beta1') return v;
    }
  }
  return undefined;
}

export function includeObjectParam(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject') ?? '';
  if (v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'None' || v === 'Object') return v;
  throw badRequest(`unrecognized includeObject value: ${JSON.stringify(v)}`);
}

export interface TableOptions {
  version: TableVersion;
  includeObject: IncludeObject;
  /** Watch events after the first carry no column definitions (kubectl reuses the last ones). */
  noHeaders?: boolean;
}

function rowObject(rt: ResourceType, obj: any, o: TableOptions): unknown {
  if (o.includeObject === 'None') return null;
  if (o.includeObject === 'Object') return { kind: rt.kind, apiVersion: apiVersionOf(rt), ...obj };
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${o.version}`, metadata: obj.metadata };
}

/** A Table of `objects` (already in `rt`'s version) with the given ListMeta. */
export function buildTable(
  rt: ResourceType,
  objects: any[],
  listMeta: { resourceVersion?: string; continue?: string; remainingItemCount?: number },
  o: TableOptions,
  now = Date.now(),
): object {
  const printer = printerFor(rt);
  const metadata: Record<string, unknown> = {};
  if (listMeta.resourceVersion) metadata.resourceVersion = listMeta.resourceVersion;
  if (listMeta.continue) metadata.continue = listMeta.continue;
  if (listMeta.remainingItemCount !== undefined) metadata.remainingItemCount = listMeta.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${o.version}`,
    metadata,
    columnDefinitions: o.noHeaders ? null : printer.columns,
    rows: objects.map((obj) => ({ cells: printer.cells(obj, now), object: rowObject(rt, obj, o) })),
  };
}

/** Turns a watch line into its Table form: ADDED/MODIFIED/DELETED objects become one-row Tables. */
export function tableWatchLine(rt: ResourceType, line: string, o: TableOptions): string {
  const ev = JSON.parse(line) as { type: string; object: any };
  if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED') return line;
  const table = buildTable(rt, [ev.object], { resourceVersion: ev.object.metadata?.resourceVersion }, o);
  return `${JSON.stringify({ type: ev.type, object: table })}\n`;
}
