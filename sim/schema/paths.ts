/** Field paths as kube-apiserver prints them: `spec.workers.replicas`, `spec.items[0].name`. */
export function childPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}
