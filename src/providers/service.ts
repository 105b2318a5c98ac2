// The provider check service: limits (429), the address guard, logging and metrics around runProviderCheck.
import type { Config } from '../config/types.js';
import { tooManyRequests } from '../http/errors.js';
import { createAddressGuard, type AddressGuard } from '../net/address-guard.js';
import { runProviderCheck, type CheckOutcome, type ProviderConnection } from './checks.js';
import { createConcurrencyLimiter } from '../net/limiter.js';
import { discover, DiscoveryFailure, type DiscoveredItem, type DiscoveryKind } from './discovery.js';

export interface CheckLog {
  info(obj: object, msg: string): void;
}

export interface ProviderCheckService {
  readonly guard: AddressGuard;
  /** Reserves a slot for `user` (429 `too many provider checks in progress` when none is free); returns release. */
  reserve(user: string): () => void;
  run(connection: ProviderConnection, log?: CheckLog): Promise<CheckOutcome>;
  /** Provider discovery with the same guard and timeout; throws DiscoveryFailure. */
  discover(
    connection: ProviderConnection,
    kind: DiscoveryKind,
    opts?: { proxmoxNodes?: string[] },
    log?: CheckLog,
  ): Promise<DiscoveredItem[]>;
}

export function createProviderCheckService(
  config: Config['providers'],
  onResult?: (provider: string, result: string) => void,
): ProviderCheckService {
  const guard = createAddressGuard({ blockedCidrs: config.blockedCidrs, allowedCidrs: config.allowedCidrs });
  const limiter = createConcurrencyLimiter(config.maxChecksPerUser, config.maxChecksTotal);
  const env = { guard, timeoutMs: config.checkTimeoutMs };
  return {
    guard,
    reserve(user) {
      const release = limiter.tryAcquire(user);
      if (!release) throw tooManyRequests('too many provider checks in progress', 1);
      return release;
    },
    async run(connection, log) {
      const started = Date.now();
      const outcome = await runProviderCheck(env, connection);
      log?.info(
        {
          providerCheck: connection.provider,
          host: hostOf(connection),
          outcome: outcome.reason,
          valid: outcome.valid,
          durationMs: Date.now() - started,
        },
        'provider check',
      );
      onResult?.(connection.provider, outcome.valid ? 'valid' : outcome.reason);
      return outcome;
    },
    async discover(connection, kind, opts, log) {
      const started = Date.now();
      let outcome = 'ok';
      try {
        return await discover(env, connection, kind, opts);
      } catch (err) {
        outcome = err instanceof DiscoveryFailure ? err.reason : 'error';
        throw err;
      } finally {
        log?.info(
          {
            providerDiscovery: `${connection.provider} ${kind}`,
            host: hostOf(connection),
            outcome,
            durationMs: Date.now() - started,
          },
          'provider discovery',
        );
      }
    },
  };
}

const hostOf = (c: ProviderConnection) =>
  safeHost(c.provider === 'harvester' ? c.kubeconfig.cluster.server : c.endpoint);

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}
