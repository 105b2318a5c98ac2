// A simulator prepared like a Butler management cluster: the Butler CRDs and the system and tenant namespaces.

import { butlerCrds } from '../../sim/crds.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../sim/index.js';

export function namespace(name: string): object {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export function startButlerSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({
    crds: butlerCrds(),
    ...opts,
    seed: [namespace('butler-system'), namespace('butler-tenants'), ...(opts.seed ?? [])],
  });
}
