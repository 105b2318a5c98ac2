// `npm run sim -- --port 6443 --kubeconfig-out FILE [--token T] [--butler-crds]`: the simulator for manual
// use with kubectl. A test and demo tool: it binds 127.0.0.1; --unsafe-bind-address exists only for
// isolated lab setups and prints a warning.
import { writeFileSync } from 'node:fs';
import { butlerCrds } from './crds.js';
import { startSimulator } from './index.js';

interface CliOptions {
  port: number;
  kubeconfigOut?: string;
  token?: string;
  butlerCrds: boolean;
  unsafeBindAddress?: string;
}

const USAGE =
  'usage: npm run sim -- [--port 6443] [--kubeconfig-out FILE] [--token T] [--butler-crds] [--unsafe-bind-address ADDR]';

export function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = { port: 6443, butlerCrds: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--port': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port must be 0..65535\n${USAGE}`);
        o.port = n;
        break;
      }
      case '--kubeconfig-out':
        o.kubeconfigOut = value();
        break;
      case '--token':
        o.token = value();
        break;
      case '--butler-crds':
        o.butlerCrds = true;
        break;
      case '--unsafe-bind-address':
        o.unsafeBindAddress = value();
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown flag ${a}\n${USAGE}`);
    }
  }
  return o;
}

async function main(): Promise<void> {
  let o: CliOptions;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  if (o.unsafeBindAddress) {
    console.error(
      `WARNING: binding the Kubernetes API simulator to ${o.unsafeBindAddress}. It is a test tool with a single static token and runs exec commands as local processes: never expose it beyond an isolated network.`,
    );
  }
  const sim = await startSimulator({
    port: o.port,
    token: o.token,
    crds: o.butlerCrds ? butlerCrds() : [],
    unsafeBindAddress: o.unsafeBindAddress,
  });
  if (o.kubeconfigOut) writeFileSync(o.kubeconfigOut, sim.kubeconfig, { mode: 0o600 });
  console.log(`simulator listening on ${sim.url}`);
  console.log(`kubeconfig: ${o.kubeconfigOut ?? sim.kubeconfigPath}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await sim.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

void main();
