// A seeded simulator in a child process of its own (the benchmark file forked again in a "simulator" role), so the
// load generator and the server under test do not share its event loop.
import { fork, type ChildProcess } from 'node:child_process';
import type { SimulatorOptions } from '../../sim/index.js';
import { stopProcess } from './butler-process.js';

export interface SimProcess {
  proc: ChildProcess;
  url: string;
  token: string;
  kubeconfigPath: string;
  kubeconfig: string;
}

type Ready = Omit<SimProcess, 'proc'>;

/** Forks `entry` with `env` (which must make it call serveSimulator) and waits until the simulator listens. */
export async function forkSimulator(entry: string, env: Record<string, string>): Promise<SimProcess> {
  const proc = fork(entry, [], {
    execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
    proc.on('message', (m: { type: string } & Ready) => {
      if (m.type === 'ready') resolve(m);
    });
  });
  return { proc, ...ready };
}

/** The child's side: starts the simulator, reports it, and stops it when asked. */
export async function serveSimulator(opts: SimulatorOptions): Promise<void> {
  const { startSimulator } = await import('../../sim/index.js');
  const sim = await startSimulator(opts);
  const ready: Ready = {
    url: sim.url,
    token: sim.token,
    kubeconfigPath: sim.kubeconfigPath,
    kubeconfig: sim.kubeconfig,
  };
  process.send!({ type: 'ready', ...ready });
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stop') void sim.stop().then(() => process.exit(0));
  });
}

export const stopSimulator = (sim: SimProcess) => stopProcess(sim.proc, { message: { type: 'stop' }, graceMs: 5000 });
