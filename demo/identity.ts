// Users and teams of the demo: two teams whose clusters differ (payments owns "production", analytics owns
// "staging"; "legacy" stays platform-level) and one internal user in each with a password generated at every
// start: an operator of payments and a viewer of analytics. The teams also bind the demo IdP's groups, so single
// sign-on users land in the same teams.
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../src/identity/passwords.js';

const B = 'butler.butlerlabs.dev/v1alpha1';
const SYSTEM_NAMESPACE = 'butler-system';

export interface DemoUser {
  username: string;
  email: string;
  password: string;
  team: string;
  role: 'admin' | 'operator' | 'viewer';
  /** What the user is in Butler, for the printed list. */
  description: string;
}

/** Which seeded clusters belong to which team (the third, legacy, stays platform-level). */
export const DEMO_CLUSTER_TEAMS: Record<string, string> = { production: 'payments', staging: 'analytics' };

const password = () => randomBytes(12).toString('base64url');

export function demoUsers(): DemoUser[] {
  return [
    {
      username: 'olivia',
      email: 'olivia@butler-demo.example',
      password: password(),
      team: 'payments',
      role: 'operator',
      description: 'operator of team payments',
    },
    {
      username: 'victor',
      email: 'victor@butler-demo.example',
      password: password(),
      team: 'analytics',
      role: 'viewer',
      description: 'viewer of team analytics',
    },
  ];
}

/** Teams with their direct members and the demo IdP's group bindings. */
export function demoTeams(users: DemoUser[], idpName: string): object[] {
  const team = (name: string, displayName: string, group: string, groupRole: string) => ({
    apiVersion: B,
    kind: 'Team',
    metadata: { name },
    spec: {
      displayName,
      access: {
        users: users.filter((u) => u.team === name).map((u) => ({ name: u.email, role: u.role })),
        groups: [{ name: group, role: groupRole, identityProvider: idpName }],
      },
    },
  });
  return [
    team('payments', 'Payments', 'payments-operators', 'operator'),
    team('analytics', 'Analytics', 'analytics-viewers', 'viewer'),
  ];
}

/** Active internal Users and their password Secrets (argon2id, as the server stores them). */
export async function demoUserObjects(users: DemoUser[]): Promise<object[]> {
  const out: object[] = [];
  for (const u of users) {
    const secretName = `butler-user-${u.username}-password`;
    out.push(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: {
          name: secretName,
          namespace: SYSTEM_NAMESPACE,
          labels: { 'app.kubernetes.io/managed-by': 'butler', 'butler.butlerlabs.dev/user': u.username },
        },
        data: { password: Buffer.from(await hashPassword(u.password)).toString('base64') },
      },
      {
        apiVersion: B,
        kind: 'User',
        metadata: { name: u.username, labels: { 'app.kubernetes.io/managed-by': 'butler' } },
        spec: { email: u.email, displayName: u.username[0]!.toUpperCase() + u.username.slice(1), authType: 'internal' },
        status: {
          phase: 'Active',
          passwordSecretRef: { name: secretName, namespace: SYSTEM_NAMESPACE, key: 'password' },
        },
      },
    );
  }
  return out;
}
