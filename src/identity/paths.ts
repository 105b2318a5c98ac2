// Names and labels of the identity objects (their Kubernetes paths are in src/kube/butler.ts).
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_USER = 'butler.butlerlabs.dev/user';
export const LABEL_TEAM = 'butler.butlerlabs.dev/team';
export const ANNOTATION_CREATOR_EMAIL = 'butler.butlerlabs.dev/creator-email';

export const passwordSecretName = (username: string) => `butler-user-${username}-password`;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const isDnsLabel = (s: string): boolean => DNS_LABEL.test(s);

/** A User name from an email: the local part, lowercased, `.` and other invalid characters → `-` (`Jane.Doe@x.io` → `jane-doe`). */
export function usernameFromEmail(email: string): string {
  const local = email.split('@')[0] ?? '';
  const name = local
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return name || 'user';
}
