#!/usr/bin/env node
// The butler-server command: configuration, services, the app, listen, and an orderly shutdown on SIGTERM/SIGINT.

import { existsSync } from 'node:fs';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config/load.js';
import { USAGE, wantsHelp, wantsVersion } from './config/flags.js';
import type { Config } from './config/types.js';
import { printVersion } from './config/version.js';
import { buildServices } from './services.js';

/** Shutdown must end within this; after it the process exits regardless. */
const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(argv: string[]): Promise<void> {
  if (wantsHelp(argv)) {
    process.stdout.write(USAGE);
    return;
  }
  if (wantsVersion(argv)) {
    printVersion();
    return;
  }
  if (argv.includes('--demo')) {
    await runCheckoutDemo(argv.filter((a) => a !== '--demo'));
    return;
  }

  let config: Config;
  try {
    config = loadConfig(argv, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`butler-server: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }

  const services = await buildServices(config);
  const app = await buildApp(config, services);
  if (config.auth.generatedSecrets && config.auth.adminPassword !== undefined) {
    // Printed once, on stderr and not through the logger, so the password never reaches log storage.
    process.stderr.write(
      `butler-server: --dev: generated credentials for this run: username "${config.auth.adminUsername}", password "${config.auth.adminPassword}"\n`,
    );
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      // A second signal (a second Ctrl-C) means "now".
      process.stderr.write(`butler-server: ${signal} again; exiting without waiting\n`);
      process.exit(1);
    }
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    setTimeout(() => {
      app.log.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    void (async () => {
      try {
        await app.close();
        await services.close();
        app.log.info('stopped');
        process.exit(0);
      } catch (err) {
        app.log.error({ err }, 'error during shutdown');
        process.exit(1);
      }
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  services.start();

  await app.listen({ host: config.host, port: config.port });
}

/**
 * `--demo` runs the demo of a source checkout (demo/main.ts, the same as `npm run demo`). The demo and the simulator
 * are not part of the production build, so the module is looked up at run time instead of being imported.
 */
async function runCheckoutDemo(argv: string[]): Promise<void> {
  const entry = new URL('../demo/main.ts', import.meta.url);
  if (!existsSync(entry)) {
    process.stderr.write(
      'butler-server: --demo runs from a source checkout only (npm run demo); this build has no demo\n',
    );
    process.exit(2);
  }
  const demo = (await import(entry.href)) as { runDemo(argv: string[]): Promise<void> };
  await demo.runDemo(argv);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`butler-server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
