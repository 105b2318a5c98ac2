// Starts the production app (buildServices + buildApp) on 127.0.0.1:0 against a simulator, with captured JSON logs.

import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import type { Identity } from '../../src/auth/session.js';
import { buildServices, type Services } from '../../src/services.js';
import type { Simulator } from '../../sim/index.js';

export const TEST_ADMIN_PASSWORD = 'test-password-123';

/** A token identity for another platform admin than the configured one (a bootstrap-admin session under another name). */
export function platformAdminIdentity(username: string): Identity {
  return {
    subject: 'legacy:admin',
    username,
    email: `${username}@butler.local`,
    name: username,
    provider: 'legacy',
    groups: [],
  };
}
const SYNC_WAIT_MS = 5000;

export interface TestServer {
  url: string;
  app: FastifyInstance;
  config: Config;
  services: Services;
  /** Every JSON log line the app wrote, in order. */
  logs: string[];
  login(username?: string, password?: string): Promise<{ token: string; cookie: string }>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  sim: Simulator;
  /** Environment of the server (nothing is inherited from the test process). */
  env?: Record<string, string>;
  /** Extra flags, after the defaults (so a later --addr wins). */
  args?: string[];
  /** Wait until every readiness check of the services passes (revocation store, caches; default true). */
  waitForSync?: boolean;
  /** Called after buildApp and before listen, e.g. to add a route that only a test needs. */
  beforeListen?: (app: FastifyInstance) => void | Promise<void>;
  /** Called after buildServices and before buildApp, e.g. to set services.impersonationFor. */
  configureServices?: (services: Services) => void;
}

export async function startTestServer(opts: TestServerOptions): Promise<TestServer> {
  const env: Record<string, string> = {
    BUTLER_JWT_SECRET: randomBytes(36).toString('base64'),
    BUTLER_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    ...opts.env,
  };
  const args = ['--kubeconfig', opts.sim.kubeconfigPath, '--addr', '127.0.0.1:0', ...(opts.args ?? [])];
  const config = loadConfig(args, env);
  const logs: string[] = [];
  const logStream = lineCollector(logs);
  const services = await buildServices(config, { logStream });
  let app: FastifyInstance | undefined;
  try {
    opts.configureServices?.(services);
    app = await buildApp(config, services, { logStream });
    services.start();
    if (opts.waitForSync !== false) await waitForReadiness(services, SYNC_WAIT_MS);
    await opts.beforeListen?.(app);
    await app.listen({ host: '127.0.0.1', port: config.port });
  } catch (err) {
    await app?.close();
    await services.close();
    const recent = logs.slice(-5).join('\n');
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}${recent ? `\nlast log lines:\n${recent}` : ''}`,
    );
  }
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  const url = `${config.tls ? 'https' : 'http'}://127.0.0.1:${address.port}`;
  const started = app;

  return {
    url,
    app: started,
    config,
    services,
    logs,
    login: (username = config.auth.adminUsername, password = TEST_ADMIN_PASSWORD) => login(url, username, password),
    async close() {
      await started.close();
      await services.close();
      assertNoSecretsLogged(logs, [config.auth.adminPassword, config.auth.jwtSecret, opts.sim.token]);
    },
  };
}

const JWT = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/;
const SESSION_COOKIE_VALUE = /butler_(?:session|token)=[^;\s"\\]/;

/**
 * Every test server checks its captured log lines when it closes: no password, JWT secret, simulator token, session
 * token or cookie value may appear in them, whatever the test did. So the whole suite's logs are checked, not one
 * scripted session's.
 */
export function assertNoSecretsLogged(lines: string[], secrets: (string | undefined)[]): void {
  const known = secrets.filter((x): x is string => typeof x === 'string' && x.length >= 8);
  lines.forEach((line, i) => {
    const found = known.some((x) => line.includes(x))
      ? 'a configured secret'
      : JWT.test(line)
        ? 'a JWT'
        : SESSION_COOKIE_VALUE.test(line)
          ? 'a session cookie value'
          : undefined;
    // The line itself is not printed: it holds the secret.
    if (found) throw new Error(`log line ${i + 1} of ${lines.length} contains ${found}`);
  });
}

export async function login(
  url: string,
  username: string,
  password: string,
): Promise<{ token: string; cookie: string }> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login failed: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { token: string };
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('butler_session='));
  if (!setCookie) throw new Error('login answered without a butler_session cookie');
  return { token: body.token, cookie: setCookie.split(';')[0]! };
}

/** A writable that stores each written line (pino writes one JSON object per line). */
export function lineCollector(lines: string[]): Writable {
  let partial = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      partial += chunk.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) if (line !== '') lines.push(line);
      callback();
    },
  });
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function waitForReadiness(services: Services, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reasons = (await Promise.all(services.readiness.map((c) => c.check()))).filter((r) => r !== null);
    if (reasons.length === 0) return;
    if (Date.now() > deadline) throw new Error(`services not ready within ${timeoutMs} ms: ${reasons.join('; ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
