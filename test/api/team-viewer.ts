// A team viewer of team-a for the API tests: the Team and User objects to seed, and an authenticated JSON client.
import type { Identity } from '../../src/auth/session.js';
import type { ApiAnswer, ApiEnv } from './fixture.js';

export const VIEWER_EMAIL = 'viewer@example.com';

export const teamViewerSeed = () => [
  {
    apiVersion: 'butler.butlerlabs.dev/v1alpha1',
    kind: 'Team',
    metadata: { name: 'team-a' },
    spec: { displayName: 'Team A', access: { users: [{ name: VIEWER_EMAIL, role: 'viewer' }], groups: [] } },
  },
  {
    apiVersion: 'butler.butlerlabs.dev/v1alpha1',
    kind: 'User',
    metadata: { name: 'viewer' },
    spec: { authType: 'internal', email: VIEWER_EMAIL },
  },
];

/** Calls the API as the team viewer (a session issued directly, as a login would). */
export async function viewerApi(env: ApiEnv) {
  const identity: Identity = {
    subject: 'internal:viewer',
    username: 'viewer',
    email: VIEWER_EMAIL,
    name: 'Viewer',
    provider: 'internal',
    groups: [],
  };
  const { token } = await env.server.app.butlerAuth.tokens.issue(identity);
  return async (method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
    const res = await fetch(`${env.server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // left as text
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
}
