// The SSO services, built once per process by buildServices: the IdentityProvider registry, the sign-in flow and the
// sealed IdP session cookie. Sealing keys are derived from BUTLER_JWT_SECRET, so every replica can open them.
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { KubeClient } from '../kube/client.js';
import { createSsoFlow, type SsoFlow } from './flow.js';
import { createIdpSessions, type IdpSessions } from './idp-session.js';
import { createSsoRegistry, type SsoRegistry } from './registry.js';
import { createSealer } from './sealed-cookie.js';

export interface SsoServices {
  registry: SsoRegistry;
  flow: SsoFlow;
  idpSessions: IdpSessions;
  start(): void;
  close(): void;
}

export function createSsoServices(config: Config, deps: { kube: KubeClient; log?: Logger }): SsoServices {
  const registry = createSsoRegistry(config, {
    kube: deps.kube,
    ...(deps.log ? { log: deps.log.child({ component: 'sso' }) } : {}),
  });
  return {
    registry,
    flow: createSsoFlow({
      registry,
      sealer: createSealer(config.auth.jwtSecret, 'butler-sso-flow'),
      loginTimeoutMs: config.sso.loginTimeoutMs,
    }),
    idpSessions: createIdpSessions({ registry, sealer: createSealer(config.auth.jwtSecret, 'butler-sso-session') }),
    start: () => registry.start(),
    close: () => registry.stop(),
  };
}
