// The identity services, built once per process: the User and Team watch caches with their stores, the principal
// resolver and the notification bus. buildServices (src/services.ts) creates them as `services.identity`.
import type { Logger } from 'pino';
import type { Identity } from '../auth/session.js';
import type { Config } from '../config/types.js';
import type { PlatformRole } from './roles.js';
import { createResourceCache, type KubeObject } from '../kube/cache.js';
import type { KubeClient } from '../kube/client.js';
import { createNotificationBus, type NotificationBus } from './notifications.js';
import { createPrincipalResolver, type PrincipalResolver } from './principal.js';
import { createTeamStore, type TeamStore } from './team-store.js';
import { createUserStore, type UserObject, type UserStore } from './user-store.js';
import { paths } from '../kube/butler.js';

export interface IdentityServices {
  users: UserStore;
  teams: TeamStore;
  resolver: PrincipalResolver;
  notifications: NotificationBus;
  /** Both caches have synced: before that, authenticated requests get 503 (as for the revocation store). */
  readonly synced: boolean;
  /** Called after any change of a User or a Team: open sockets re-check their principal. */
  onChange(listener: () => void): () => void;
  start(): void;
  close(): void;
}

export function createIdentityServices(
  config: Config,
  deps: {
    kube: KubeClient;
    log?: Logger;
    /** The platform role an SSO identity's groups give (src/sso/registry.ts). */
    groupPlatformRole?: (identity: Identity) => PlatformRole | undefined;
  },
): IdentityServices {
  const logger = deps.log?.child({ component: 'identity' });
  const userCache = createResourceCache<UserObject>(deps.kube, {
    path: paths.users(),
    name: 'users',
    ...(logger ? { logger } : {}),
  });
  const teamCache = createResourceCache<KubeObject>(deps.kube, {
    path: paths.teams(),
    name: 'teams',
    ...(logger ? { logger } : {}),
  });
  const users = createUserStore(deps.kube, userCache, config);
  const teams = createTeamStore(teamCache);
  const resolver = createPrincipalResolver({
    users,
    teams,
    ...(deps.groupPlatformRole ? { groupPlatformRole: deps.groupPlatformRole } : {}),
  });
  const notifications = createNotificationBus();
  return {
    users,
    teams,
    resolver,
    notifications,
    get synced() {
      return userCache.synced && teamCache.synced;
    },
    onChange(listener) {
      const a = users.onChange(listener);
      const b = teams.onChange(listener);
      return () => {
        a();
        b();
      };
    },
    start() {
      userCache.start();
      teamCache.start();
    },
    close() {
      userCache.stop();
      teamCache.stop();
    },
  };
}
