// Certificates of a hosted control plane, read from its Secrets (node's X509Certificate): subject, SANs, issuer,
// validity, days left, health, grouped by category. Pure functions; the route lists the Secrets.
import { X509Certificate } from 'node:crypto';
import yaml from 'js-yaml';

export const CATEGORIES = [
  'ca',
  'apiserver',
  'kubeconfig',
  'front-proxy',
  'konnectivity',
  'datastore',
  'service-account',
] as const;
export type CertificateCategory = (typeof CATEGORIES)[number];
export type CertificateHealth = 'Healthy' | 'Warning' | 'Critical' | 'Expired';

/** Days before expiry at which a certificate turns Critical / Warning. */
export const CRITICAL_DAYS = 7;
export const WARNING_DAYS = 30;
/** Bounds on what one Secret key may make us parse. */
const MAX_KEY_BYTES = 256 * 1024;
const MAX_CERTS_PER_KEY = 10;
const DAY_MS = 86_400_000;

export interface CertificateInfo {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  daysUntilExpiry: number;
  ageInDays: number;
  healthStatus: CertificateHealth;
  secretName: string;
  secretKey: string;
  category: CertificateCategory;
  isCA: boolean;
  dnsNames: string[];
  ipAddresses: string[];
}

export interface CertificateSecret {
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

/** A distinguished name as one line, "CN=x, O=y" (node gives one attribute per line). */
const oneLine = (dn: string) => dn.split('\n').filter(Boolean).join(', ');

function sans(cert: X509Certificate): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const entry of (cert.subjectAltName ?? '').split(', ')) {
    if (entry.startsWith('DNS:')) dnsNames.push(entry.slice(4));
    else if (entry.startsWith('IP Address:')) ipAddresses.push(entry.slice(11));
  }
  return { dnsNames, ipAddresses };
}

export function healthOf(daysUntilExpiry: number, expired: boolean): CertificateHealth {
  if (expired) return 'Expired';
  if (daysUntilExpiry < CRITICAL_DAYS) return 'Critical';
  if (daysUntilExpiry < WARNING_DAYS) return 'Warning';
  return 'Healthy';
}

export function describeCertificate(
  cert: X509Certificate,
  now: number,
): Omit<CertificateInfo, 'secretName' | 'secretKey' | 'category'> {
  const notBefore = new Date(cert.validFrom).getTime();
  const notAfter = new Date(cert.validTo).getTime();
  const daysUntilExpiry = Math.trunc((notAfter - now) / DAY_MS);
  return {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    serialNumber: cert.serialNumber,
    notBefore: new Date(notBefore).toISOString(),
    notAfter: new Date(notAfter).toISOString(),
    daysUntilExpiry,
    ageInDays: Math.max(0, Math.trunc((now - notBefore) / DAY_MS)),
    healthStatus: healthOf(daysUntilExpiry, notAfter <= now),
    isCA: cert.ca,
    ...sans(cert),
  };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM text (others blocks, such as keys, are skipped; unparsable ones too). */
export function certificatesInPem(pem: string): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const block of pem.match(PEM_CERTIFICATE) ?? []) {
    if (out.length >= MAX_CERTS_PER_KEY) break;
    try {
      out.push(new X509Certificate(block));
    } catch {
      // not a certificate after all
    }
  }
  return out;
}

const isKubeconfigKey = (key: string) => key.endsWith('.conf') || key === 'kubeconfig';
const isCertificateKey = (key: string) => key.endsWith('.crt') || key.endsWith('.pem');

/** The client certificates of a kubeconfig (users[].user.client-certificate-data). */
function certificatesInKubeconfig(text: string): X509Certificate[] {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch {
    return [];
  }
  const users = (doc as { users?: { user?: Record<string, unknown> }[] } | null)?.users;
  if (!Array.isArray(users)) return [];
  return users.flatMap((u) => {
    const data = u?.user?.['client-certificate-data'];
    return typeof data === 'string' ? certificatesInPem(Buffer.from(data, 'base64').toString('utf8')) : [];
  });
}

/** The category of a control-plane Secret, from its component label or, failing that, its name after `<cluster>-`. */
export function categoryOf(secret: CertificateSecret, cluster: string, componentLabel: string): CertificateCategory {
  const name = secret.metadata?.name ?? '';
  const part =
    secret.metadata?.labels?.[componentLabel] ||
    (name.startsWith(`${cluster}-`) ? name.slice(cluster.length + 1) : name);
  if (part.includes('kubeconfig')) return 'kubeconfig';
  if (part === 'ca' || part.endsWith('-ca') || part.startsWith('ca-') || part.includes('-ca-')) return 'ca';
  if (part.includes('front-proxy')) return 'front-proxy';
  if (part.startsWith('sa-') || part.includes('service-account')) return 'service-account';
  if (part.includes('datastore') || part.includes('etcd')) return 'datastore';
  if (part.includes('konnectivity')) return 'konnectivity';
  return 'apiserver';
}

/** Secrets that hold connection settings rather than certificates. */
export const isConfigSecret = (secret: CertificateSecret) =>
  (secret.metadata?.name ?? '').endsWith('-datastore-config');

/** Every certificate in a Secret's keys (PEM keys and kubeconfigs), in key order. */
export function certificatesOfSecret(
  secret: CertificateSecret,
  category: CertificateCategory,
  now: number,
): CertificateInfo[] {
  const out: CertificateInfo[] = [];
  for (const key of Object.keys(secret.data ?? {}).sort()) {
    const kubeconfig = isKubeconfigKey(key);
    if (!kubeconfig && !isCertificateKey(key)) continue;
    const raw = secret.data?.[key] ?? '';
    if (raw.length > (MAX_KEY_BYTES * 4) / 3) continue;
    const text = Buffer.from(raw, 'base64').toString('utf8');
    const certs = kubeconfig ? certificatesInKubeconfig(text) : certificatesInPem(text);
    for (const cert of certs)
      out.push({
        ...describeCertificate(cert, now),
        secretName: secret.metadata?.name ?? '',
        secretKey: key,
        category,
      });
  }
  return out;
}

const HEALTH_ORDER: CertificateHealth[] = ['Healthy', 'Warning', 'Critical', 'Expired'];
export const worstHealth = (a: CertificateHealth, b: CertificateHealth) =>
  HEALTH_ORDER.indexOf(b) > HEALTH_ORDER.indexOf(a) ? b : a;
