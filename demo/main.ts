// `npm run demo` (and `butler-server --demo`): a living Butler on one machine. A simulator plays the management
// cluster (Butler CRDs, seeded), a second one plays Harvester, local stand-ins answer for Nutanix and Proxmox, the
// simulated Butler controller moves things along, and the real butler-server (buildServices + buildApp) serves the
// API and the built-in console page against it. The server itself does not know it is in a demo.
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import yaml from 'js-yaml';
import pino from 'pino';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { formattedStream } from '../src/observability/logger.js';
import { parseAddr } from '../src/config/parse.js';
import type { Config } from '../src/config/types.js';
import { createKubeClient } from '../src/kube/client.js';
import { loadManagementKubeConfig } from '../src/kube/connection.js';
import { buildServices, type Services } from '../src/services.js';
import { butlerCrds } from '../sim/crds.js';
import { kamajiCrds } from '../sim/kamaji-crds.js';
import { controlPlaneSeed, seedDemoCertificates } from './control-plane.js';
import { startSimulator, type Simulator } from '../sim/index.js';
import { createDemoController, tenantNamespaceFor, type ControllerTiming, type DemoController } from './controller.js';
import { generateDemoCa, startKubectlListener } from './kubectl-listener.js';
import { harvesterCrds, harvesterResources } from './harvester-resources.js';
import { platformSeed } from './platform-seed.js';
import { startProviderEndpoints, type ProviderEndpoints } from './provider-endpoints.js';
import { demoSeed, MANAGEMENT_VERSION, PLATFORM_ADDONS, TENANT_NAMESPACE } from './seed.js';
import { demoTeams, demoUserObjects, demoUsers, type DemoUser } from './identity.js';
import { DEMO_IDP_DISPLAY_NAME, DEMO_IDP_NAME, demoIdpTls, seedDemoSso, startDemoSso, type DemoSso } from './sso.js';
import { nodeObject } from './tenant-sim.js';

export const DEFAULT_DEMO_ADDR = '127.0.0.1:8080';
export const DEFAULT_KUBECTL_ADDR = '127.0.0.1:8443';
const READY_TIMEOUT_MS = 10_000;
const here = dirname(fileURLToPath(import.meta.url));

export interface DemoOptions {
  /**
   * Single sign-on with a real OpenID Provider and three users (the command's default; `npm run demo -- --no-sso`
   * leaves it out). The provider starts beside the simulators.
   */
  sso?: boolean;
  /**
   * Return only once single sign-on is ready (default true). The command passes false: the console is usable with
   * the admin password at once, and the "Sign in with …" button appears a moment later (see `ssoReady`).
   */
  waitForSso?: boolean;
  /** Listen address (default 127.0.0.1:8080); port 0 picks a free one. */
  addr?: string;
  /** The HTTPS listener for kubectl (default 127.0.0.1:0, a free port; the command's default is 127.0.0.1:8443). */
  kubectlAddr?: string;
  /** A console build to serve instead of the built-in page (as `--static-dir`). */
  staticDir?: string;
  /** Controller step durations (tests make them short). */
  timing?: Partial<ControllerTiming>;
  /** Where the server's and the controller's JSON logs go (default stderr). */
  logStream?: NodeJS.WritableStream;
  /**
   * The server's BUTLER_* settings (`npm run demo` passes its environment). The demo generates a value only for
   * what is not given: JWT secret, admin password, BUTLER_PROVIDER_ALLOWED_CIDRS, BUTLER_PUBLIC_URL and
   * BUTLER_PUBLIC_CA_FILE (the kubectl listener and its CA). Variables not starting with BUTLER_ are ignored.
   */
  env?: NodeJS.ProcessEnv;
}

export interface Demo {
  url: string;
  /** The HTTPS address kubectl uses (downloaded kubeconfigs point here unless BUTLER_PUBLIC_URL is given). */
  kubectlUrl: string;
  username: string;
  /** The generated password, or undefined when the environment gave one (or a hash). */
  password: string | undefined;
  /** Internal users in teams whose clusters differ, with passwords generated at this start (demo/identity.ts). */
  users: DemoUser[];
  config: Config;
  app: FastifyInstance;
  services: Services;
  management: Simulator;
  harvester: Simulator;
  providers: ProviderEndpoints;
  controller: DemoController;
  /** Single sign-on: the demo's OpenID Provider and its three users (set once ready). */
  sso?: DemoSso;
  /** Settles when single sign-on is ready (undefined without it); rejects when it could not start. */
  ssoReady: Promise<DemoSso | undefined>;
  /** Stops everything and removes every temporary file; safe to call more than once. */
  stop(): Promise<void>;
}

/** demo/console of the checkout: next to this module under tsx, two levels up from dist/demo when compiled. */
function consoleSource(): string {
  const candidates = [join(here, 'console'), join(here, '..', '..', 'demo', 'console')];
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!found) throw new Error(`demo console page not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** The console page plus xterm.js from the project's own dependency, as one folder for the static handler. */
function assembleConsoleDir(): string {
  const require = createRequire(import.meta.url);
  const xtermDir = dirname(require.resolve('@xterm/xterm/package.json'));
  const fitLib = require.resolve('@xterm/addon-fit');
  const dir = mkdtempSync(join(tmpdir(), 'butler-demo-console-'));
  cpSync(consoleSource(), dir, { recursive: true });
  cpSync(join(xtermDir, 'lib', 'xterm.js'), join(dir, 'vendor', 'xterm.js'));
  cpSync(join(xtermDir, 'css', 'xterm.css'), join(dir, 'vendor', 'xterm.css'));
  cpSync(fitLib, join(dir, 'vendor', 'addon-fit.js'));
  return dir;
}

/** Runs `fn`s in reverse order of registration, each once, ignoring failures (best-effort clean-up). */
function cleanupStack() {
  const steps: (() => Promise<void> | void)[] = [];
  return {
    push(step: () => Promise<void> | void) {
      steps.push(step);
    },
    async run() {
      while (steps.length > 0) {
        const step = steps.pop()!;
        try {
          await step();
        } catch {
          // keep cleaning up
        }
      }
    },
  };
}

const HARVESTER_VERSION = 'v1.29.4+rke2r1';

function harvesterHosts(): object[] {
  return [1, 2, 3].map((i) =>
    nodeObject(`harvester-node-${i}`, { role: 'control-plane', index: i, version: HARVESTER_VERSION }),
  );
}

/**
 * The management shells' identity from the deploy manifests (deploy/base/terminal.yaml): the butler-terminal
 * ServiceAccount and its read-only ClusterRole and binding. Terminal shells run in shell pods on the simulator's
 * kubelet (pod mode), whose "image" is this machine's shell and /usr/bin/kubectl.
 */
function terminalIdentity(): object[] {
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'deploy', 'base', 'terminal.yaml');
  return (yaml.loadAll(readFileSync(file, 'utf8')) as any[])
    .filter((o) => o && o.metadata?.name === 'butler-terminal')
    .map((o) => (o.kind === 'ServiceAccount' ? { ...o, metadata: { ...o.metadata, namespace: 'butler-system' } } : o));
}

export async function startDemo(opts: DemoOptions = {}): Promise<Demo> {
  const logStream = opts.logStream ?? process.stderr;
  const cleanup = cleanupStack();
  // The demo IdP starts beside the simulators (it needs none of them).
  const idpTls = opts.sso ? demoIdpTls() : undefined;
  if (idpTls) cleanup.push(() => rmSync(idpTls.dir, { recursive: true, force: true }));
  const ssoStarting = idpTls ? startDemoSso(idpTls) : undefined;
  ssoStarting?.catch(() => undefined);
  cleanup.push(async () => (await ssoStarting)?.stop());
  try {
    // The provider stand-ins and the password hashes of the demo users do not depend on each other: started together.
    const harvesterStarting = startSimulator({
      crds: harvesterCrds(),
      seed: [...harvesterHosts(), ...harvesterResources()],
      name: 'demo-harvester',
      kubernetesVersion: HARVESTER_VERSION,
    });
    cleanup.push(async () => (await harvesterStarting).stop());
    const providersStarting = startProviderEndpoints({
      nutanix: { username: 'admin', password: randomBytes(12).toString('base64url') },
      proxmox: { tokenId: 'butler@pve!demo', tokenSecret: randomBytes(16).toString('hex') },
    });
    cleanup.push(async () => (await providersStarting).stop());
    const users = demoUsers();
    const userObjectsMade = demoUserObjects(users);
    const [harvester, providers, userObjects] = await Promise.all([
      harvesterStarting,
      providersStarting,
      userObjectsMade,
    ]);
    const management = await startSimulator({
      name: 'demo-management',
      kubernetesVersion: MANAGEMENT_VERSION,
      crds: [...butlerCrds(), ...kamajiCrds()],
      seed: demoSeed({
        harvesterKubeconfig: harvester.kubeconfig,
        nutanixUrl: providers.nutanixUrl,
        proxmoxUrl: providers.proxmoxUrl,
        insecure: providers.tls,
        credentials: providers.credentials,
      }).concat(
        terminalIdentity(),
        platformSeed(),
        controlPlaneSeed({
          tenantNamespace: TENANT_NAMESPACE,
          tenantNamespaceOf: (c) => tenantNamespaceFor(TENANT_NAMESPACE, c),
        }),
        demoTeams(users, DEMO_IDP_NAME),
        userObjects,
      ),
    });
    cleanup.push(() => management.stop());

    const consoleDir = assembleConsoleDir();
    cleanup.push(() => rmSync(consoleDir, { recursive: true, force: true }));

    const kubectlAddr = parseAddr('--kubectl-addr', opts.kubectlAddr ?? '127.0.0.1:0');
    const kubectlHost = kubectlAddr.host || '127.0.0.1';
    const ca = generateDemoCa([kubectlHost]);
    cleanup.push(() => rmSync(ca.dir, { recursive: true, force: true }));
    const kubectl = await startKubectlListener(ca, kubectlHost, kubectlAddr.port);
    cleanup.push(() => kubectl.close());
    const kubectlUrl = `https://${kubectlHost.includes(':') ? `[${kubectlHost}]` : kubectlHost}:${kubectl.port}`;

    const given = butlerSettings(opts.env ?? {});
    const has = (name: string) => given[name] !== undefined || given[`${name}_FILE`] !== undefined;
    const password =
      has('BUTLER_ADMIN_PASSWORD') || has('BUTLER_ADMIN_PASSWORD_HASH')
        ? undefined
        : randomBytes(15).toString('base64url');
    const generated: Record<string, string> = {
      BUTLER_LOG_LEVEL: 'warn',
      ...(has('BUTLER_JWT_SECRET') ? {} : { BUTLER_JWT_SECRET: randomBytes(48).toString('base64url') }),
      ...(password !== undefined ? { BUTLER_ADMIN_PASSWORD: password } : {}),
      BUTLER_PROVIDER_ALLOWED_CIDRS: '127.0.0.0/8',
      ...(has('BUTLER_PUBLIC_URL') ? {} : { BUTLER_PUBLIC_URL: kubectlUrl, BUTLER_PUBLIC_CA_FILE: ca.caFile }),
    };
    const args = ['--addr', opts.addr ?? DEFAULT_DEMO_ADDR, '--kubeconfig', management.kubeconfigPath];
    if (opts.staticDir !== undefined) args.push('--static-dir', opts.staticDir);
    const config: Config = {
      ...loadConfig(args, { ...generated, ...idpTls?.env, ...given }),
      builtinConsoleDir: consoleDir,
    };

    const logger = pino(
      { level: config.logLevel, base: { component: 'demo-controller' } },
      formattedStream(config.logFormat, logStream) as pino.DestinationStream,
    );
    const controllerKube = createKubeClient(loadManagementKubeConfig(config.kube), {
      timeoutMs: 15_000,
      name: 'demo-controller',
    });
    cleanup.push(() => controllerKube.close());
    const controller = createDemoController({
      kube: controllerKube,
      logger,
      timing: opts.timing,
      platformAddons: PLATFORM_ADDONS,
    });
    cleanup.push(() => controller.stop());
    await controller.start();

    const services = await buildServices(config, { logStream });
    cleanup.push(() => services.close());
    const app = await buildApp(config, services, { logStream });
    cleanup.push(() => app.close());
    services.start();
    await waitForReadiness(services);
    await app.listen({ host: config.host, port: config.port });
    kubectl.serve(app);
    // Kamaji's certificate Secrets, made in the background once the demo serves (openssl takes a moment); none
    // without openssl.
    const certificates = seedDemoCertificates(management, (c) => tenantNamespaceFor(TENANT_NAMESPACE, c)).catch(
      () => undefined,
    );
    cleanup.push(() => certificates);
    const address = app.server.address();
    const port = address !== null && typeof address === 'object' ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host || '127.0.0.1';
    const url = `${config.tls ? 'https' : 'http'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    let stopping: Promise<void> | undefined;
    const demo: Demo = {
      url,
      kubectlUrl,
      username: config.auth.adminUsername,
      password,
      users,
      config,
      app,
      services,
      management,
      harvester,
      providers,
      controller,
      ssoReady: Promise.resolve(undefined),
      stop: () => (stopping ??= cleanup.run()),
    };
    demo.ssoReady = (async () => {
      const sso = await ssoStarting;
      if (!sso) return undefined;
      sso.registerClient(url);
      await seedDemoSso(controllerKube, sso, url);
      await waitUntil(() => services.sso.registry.list().length > 0, 'the demo identity provider');
      demo.sso = sso;
      return sso;
    })();
    demo.ssoReady.catch(() => undefined);

    if (opts.waitForSso !== false) await demo.ssoReady;
    return demo;
  } catch (err) {
    await cleanup.run();
    throw err;
  }
}

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`demo: ${what} not ready within ${READY_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function waitForReadiness(services: Services): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const reasons = (await Promise.all(services.readiness.map((c) => c.check()))).filter((r) => r !== null);
    if (reasons.length === 0) return;
    if (Date.now() > deadline) throw new Error(`server not ready within ${READY_TIMEOUT_MS} ms: ${reasons.join('; ')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The BUTLER_* variables of an environment (everything else, KUBECONFIG included, is not the demo's business). */
function butlerSettings(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (e): e is [string, string] => e[0].startsWith('BUTLER_') && e[1] !== undefined && e[1] !== '',
    ),
  );
}

const DEMO_FLAGS = { addr: 'addr', 'kubectl-addr': 'kubectlAddr', 'static-dir': 'staticDir' } as const;
type DemoFlags = { -readonly [K in keyof typeof DEMO_FLAGS as (typeof DEMO_FLAGS)[K]]?: string };

export function parseDemoArgs(argv: string[]): DemoFlags {
  const flags: DemoFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--demo') continue;
    const m = /^--?([a-z][a-z-]*)(?:=(.*))?$/s.exec(arg);
    const name = m?.[1];
    if (!m || name === undefined || !(name in DEMO_FLAGS)) {
      throw new Error(
        `unknown argument "${arg}" (the demo takes --addr HOST:PORT, --kubectl-addr HOST:PORT and --static-dir DIR)`,
      );
    }
    const value = m[2] ?? argv[++i];
    if (!value) throw new Error(`flag --${name} needs a value`);
    flags[DEMO_FLAGS[name as keyof typeof DEMO_FLAGS]] = value;
  }
  return flags;
}

/** The command: start, print URL and credentials once, stop everything on SIGINT/SIGTERM. */
export async function runDemo(argv: string[]): Promise<void> {
  // A person watches the command: readable log lines unless BUTLER_LOG_FORMAT says otherwise.
  const env = { BUTLER_LOG_FORMAT: 'pretty', ...process.env };
  // Single sign-on is on unless --no-sso (--sso, once needed to turn it on, is still accepted).
  const sso = !argv.includes('--no-sso');
  const demo = await startDemo({
    kubectlAddr: DEFAULT_KUBECTL_ADDR,
    ...parseDemoArgs(argv.filter((a) => a !== '--sso' && a !== '--no-sso')),
    env,
    sso,
    waitForSso: false,
  });
  let stopping = false;
  process.stdout.write(
    [
      '',
      'Butler demo is running: a simulated management cluster with the Butler controller, three providers and three clusters.',
      `  URL:      ${demo.url}`,
      `  Username: ${demo.username}`,
      `  Password: ${demo.password ?? '(the one you set in BUTLER_ADMIN_PASSWORD)'}`,
      `  kubectl:  ${demo.kubectlUrl} (HTTPS; download a kubeconfig on the console page, then`,
      '            kubectl --kubeconfig <downloaded file> get nodes)',
      'Team users (password login; each sees only the clusters of their team):',
      ...demo.users.map((u) => `  ${u.username.padEnd(8)} / ${u.password}  (${u.description})`),
      sso ? 'Single sign-on is starting; its users follow. Press Ctrl-C to stop.' : 'Press Ctrl-C to stop.',
      '',
    ].join('\n') + '\n',
  );
  demo.ssoReady.then(
    (ready) => {
      if (!ready) return;
      process.stdout.write(
        [
          `Single sign-on ("Sign in with ${DEMO_IDP_DISPLAY_NAME}" on the page; a real OpenID Provider at ${ready.idp.issuer}):`,
          ...ready.users.map((u) => `  ${u.login.padEnd(6)} / ${u.password}  (${u.role})`),
          '',
        ].join('\n') + '\n',
      );
    },
    (err: unknown) => {
      if (stopping) return; // Ctrl-C while it was starting
      process.stderr.write(
        `demo: single sign-on did not start (${err instanceof Error ? err.message : String(err)}); the password login works\n`,
      );
    },
  );
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the demo…\n`);
    const deadline = setTimeout(() => {
      process.stderr.write('demo: shutdown took too long; exiting\n');
      process.exit(1);
    }, 15_000);
    deadline.unref();
    demo.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  runDemo(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
