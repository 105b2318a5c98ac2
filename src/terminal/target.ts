// Terminal paths (docs/api.md §6.3): the segment after /ws/terminal/ is the type; everything after it names the target.

export type TerminalTarget =
  | { kind: 'management-shell' }
  | { kind: 'management-pod'; podNamespace: string; pod: string; container?: string }
  | { kind: 'tenant-shell'; namespace: string; cluster: string }
  | {
      kind: 'tenant-pod';
      namespace: string;
      cluster: string;
      podNamespace: string;
      pod: string;
      container?: string;
    };

export const TERMINAL_PREFIX = '/ws/terminal/';

// DNS-1123 subdomain: what Kubernetes accepts for namespaces, cluster, pod and container names.
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function segments(path: string): string[] | undefined {
  if (!path.startsWith(TERMINAL_PREFIX)) return undefined;
  const parts = path.slice(TERMINAL_PREFIX.length).split('/');
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    return undefined;
  }
}

/** The target of a terminal path (without query), or undefined for an unknown type or malformed path. */
export function parseTerminalPath(path: string, podNamespaceParam?: string): TerminalTarget | undefined {
  const parts = segments(path);
  if (!parts || parts.length === 0) return undefined;
  const [type, ...rest] = parts;
  if (!rest.every((p) => NAME.test(p))) return undefined;
  if (type === 'management') {
    if (rest.length === 0) return { kind: 'management-shell' };
    if (rest.length === 2 || rest.length === 3) {
      const [podNamespace, pod, container] = rest as [string, string, string | undefined];
      return { kind: 'management-pod', podNamespace, pod, ...(container ? { container } : {}) };
    }
    return undefined;
  }
  if (type === 'tenant') {
    if (rest.length === 2) return { kind: 'tenant-shell', namespace: rest[0]!, cluster: rest[1]! };
    if (rest.length === 3 || rest.length === 4) {
      const [namespace, cluster, pod, container] = rest as [string, string, string, string | undefined];
      const podNamespace = podNamespaceParam || 'default';
      if (!NAME.test(podNamespace)) return undefined;
      return { kind: 'tenant-pod', namespace, cluster, podNamespace, pod, ...(container ? { container } : {}) };
    }
  }
  return undefined;
}

export function isManagementTarget(path: string): boolean {
  return segments(path)?.[0] === 'management';
}

/** The label for PS1 and audit lines: `management` or `<ns>/<cluster>`. */
export function targetLabel(t: TerminalTarget): string {
  switch (t.kind) {
    case 'management-shell':
      return 'management';
    case 'management-pod':
      return `management:${t.podNamespace}/${t.pod}${t.container ? `/${t.container}` : ''}`;
    case 'tenant-shell':
      return `${t.namespace}/${t.cluster}`;
    case 'tenant-pod':
      return `${t.namespace}/${t.cluster}:${t.podNamespace}/${t.pod}${t.container ? `/${t.container}` : ''}`;
  }
}
