import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

// This module runs from sim/ (tsx) and from dist/sim/ (compiled); the manifests stay in deploy/crds/ of the checkout.
function crdDirectory(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../deploy/crds'), resolve(here, '../../deploy/crds')];
  for (const dir of candidates) {
    try {
      if (readdirSync(dir).some((f) => f.endsWith('.yaml'))) return dir;
    } catch {
      // try the next candidate
    }
  }
  throw new Error(`Butler CRD manifests not found (looked in ${candidates.join(', ')})`);
}

/** Absolute paths of the project's Butler CRD manifests (deploy/crds/*.yaml), sorted by file name. */
export function butlerCrdFiles(): string[] {
  const dir = crdDirectory();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
}

/** The project's Butler CustomResourceDefinitions as objects, one per manifest file. */
export function butlerCrds(): object[] {
  return butlerCrdFiles().map((file) => {
    const doc = yaml.load(readFileSync(file, 'utf8'));
    if (typeof doc !== 'object' || doc === null) throw new Error(`${file}: not a YAML object`);
    return doc;
  });
}

/**
 * The objects of deploy/base/api-users.yaml: the ClusterRole `butler-api-users` and its binding to the group of the
 * same name, which is what users may do when butler-server writes on their behalf (impersonated). A Butler
 * management cluster has them; tests and the demo seed them.
 */
export function apiUsersRbac(): object[] {
  const file = resolve(crdDirectory(), '../base/api-users.yaml');
  return yaml.loadAll(readFileSync(file, 'utf8')).filter((d): d is object => typeof d === 'object' && d !== null);
}

/** A ClusterRole `<name>` allowing everything, bound to one user: full rights for a seeded platform admin. */
export function fullAccessRbac(user: string, name: string): object[] {
  const RBAC = 'rbac.authorization.k8s.io';
  return [
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'ClusterRole',
      metadata: { name },
      rules: [
        { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
        { nonResourceURLs: ['*'], verbs: ['*'] },
      ],
    },
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name },
      subjects: [{ apiGroup: RBAC, kind: 'User', name: user }],
    },
  ];
}
