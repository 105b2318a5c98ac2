// Comparing Kubernetes resourceVersions.
//
// The API treats resourceVersions as opaque strings, but every real API server (etcd3 storage) and the simulator use
// the etcd revision, a decimal integer that grows with every write. The cache relies on that to answer
// "has the cache seen this write yet?" (read-your-writes) and the live updates rely on it to decide whether a
// client's resume point lies inside the replay buffer. Non-numeric versions are never compared.

const DECIMAL = /^(0|[1-9][0-9]{0,29})$/;

/** The resourceVersion as a BigInt, or undefined when it is not a plain decimal integer. */
export function parseResourceVersion(rv: string | undefined): bigint | undefined {
  if (rv === undefined || !DECIMAL.test(rv)) return undefined;
  return BigInt(rv);
}

/** -1, 0 or 1 like a sort comparator; undefined when either version is not numeric. */
export function compareResourceVersions(a: string | undefined, b: string | undefined): -1 | 0 | 1 | undefined {
  const x = parseResourceVersion(a);
  const y = parseResourceVersion(b);
  if (x === undefined || y === undefined) return undefined;
  return x < y ? -1 : x > y ? 1 : 0;
}
