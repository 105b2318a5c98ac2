// `notification` messages for /ws/clusters: who did what to which cluster, team or user. Published here by the
// routes and the cluster watch; the live-updates plugin delivers each one to the clients allowed to see it
// (platform admins all; everyone else only those of their teams).
import { randomUUID } from 'node:crypto';

export type Severity = 'success' | 'warning' | 'error' | 'info';
export type Category = 'cluster' | 'team' | 'infra' | 'security';

export interface Notification {
  id: string;
  title: string;
  message: string;
  severity: Severity;
  category: Category;
  /** RFC 3339. */
  timestamp: string;
  resourceRef?: { kind: string; name: string; namespace?: string; team?: string };
}

export interface NotificationBus {
  publish(n: Omit<Notification, 'id' | 'timestamp'>): Notification;
  subscribe(listener: (n: Notification) => void): () => void;
}

export function createNotificationBus(): NotificationBus {
  const listeners = new Set<(n: Notification) => void>();
  return {
    publish(n) {
      const full: Notification = {
        id: randomUUID(),
        timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        ...n,
      };
      for (const l of listeners) l(full);
      return full;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
