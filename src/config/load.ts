// Flags + environment → one validated Config. Every failure is a ConfigError whose message names the setting.

import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_BLOCKED_CIDRS } from '../net/address-guard.js';
import { parseFlags } from './flags.js';
import {
  ConfigError,
  parseAddr,
  parseBool,
  parseCidrs,
  parseDuration,
  parseList,
  parseOrigins,
  parsePositiveInt,
  parseSize,
} from './parse.js';
import { loadOidcEnvProvider } from './oidc-env.js';
import { readSecret } from './secrets.js';
import type { Config, CookieSecureMode, KubeConnectionConfig } from './types.js';
import { packageVersion } from './version.js';

export { ConfigError } from './parse.js';
export { printVersion, versionLine } from './version.js';

/** The Go server's well-known default secret; refused even when long enough. */
const GO_DEFAULT_JWT_SECRET = 'butler-dev-secret-change-me';
const MIN_JWT_SECRET_BYTES = 32;
export const IN_CLUSTER_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const DEV_CORS_ORIGINS = ['http://localhost:3000', 'http://127.0.0.1:3000'];

/** Blocked targets of provider checks (docs/api.md §5); the list lives with the guard that enforces it. */
export const DEFAULT_PROVIDER_BLOCKED_CIDRS = DEFAULT_BLOCKED_CIDRS;

/** A small image with a shell and kubectl that runs as any non-root user (see the README, "Terminals"). */
export const DEFAULT_TERMINAL_IMAGE = 'docker.io/alpine/k8s:1.31.4';

function terminalMode(raw: string | undefined): 'pod' | 'local' {
  const mode = (raw ?? 'pod').toLowerCase();
  if (mode !== 'pod' && mode !== 'local') throw new ConfigError(`BUTLER_TERMINAL_MODE: "${raw}" is not pod or local`);
  return mode;
}

function imageRef(raw: string): string {
  if (!/^[a-z0-9][a-z0-9._\-/:@]{0,254}$/i.test(raw))
    throw new ConfigError(`BUTLER_TERMINAL_IMAGE: "${raw}" is not an image reference`);
  return raw;
}

function dnsName(name: string, raw: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(raw)) throw new ConfigError(`${name}: "${raw}" is not a valid name`);
  return raw;
}

function quantity(name: string, raw: string): string {
  if (!/^\d+(\.\d+)?(m|k|M|G|Ki|Mi|Gi)?$/.test(raw))
    throw new ConfigError(`${name}: "${raw}" is not a resource quantity`);
  return raw;
}

export interface LoadOptions {
  /** Service-account token whose presence (with KUBERNETES_SERVICE_HOST) means "in cluster". */
  inClusterTokenPath?: string;
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv, opts: LoadOptions = {}): Config {
  const flags = parseFlags(argv);
  const get = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const duration = (name: string, def: string) => parseDuration(name, get(name) ?? def);
  const size = (name: string, def: string) => parseSize(name, get(name) ?? def);
  const int = (name: string, def: number) => {
    const raw = get(name);
    return raw === undefined ? def : parsePositiveInt(name, raw);
  };
  const bool = (name: string, def: boolean) => {
    const raw = get(name);
    return raw === undefined ? def : parseBool(name, raw);
  };

  const dev = flags.dev;
  const addr = flags.addr ?? ':8080';
  const { host, port } = parseAddr(flags.addr ? '--addr' : 'default address', addr);

  const logLevel = (get('BUTLER_LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`BUTLER_LOG_LEVEL: "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
  }

  const logFormat = (get('BUTLER_LOG_FORMAT') ?? (dev ? 'pretty' : 'json')).toLowerCase();
  if (logFormat !== 'json' && logFormat !== 'pretty') {
    throw new ConfigError(`BUTLER_LOG_FORMAT: "${logFormat}" is not json or pretty`);
  }

  const systemNamespace = namespace('BUTLER_SYSTEM_NAMESPACE', get('BUTLER_SYSTEM_NAMESPACE') ?? 'butler-system');
  const tenantNamespace = namespace('BUTLER_TENANT_NAMESPACE', get('BUTLER_TENANT_NAMESPACE') ?? 'butler-tenants');
  const namespaces = (name: string, def: string[]) => {
    const raw = get(name);
    const list = raw === undefined ? def : parseList(raw);
    if (list.length === 0) throw new ConfigError(`${name}: needs at least one namespace`);
    return list.map((ns) => namespace(name, ns));
  };

  const generated: string[] = [];
  let jwtSecret = readSecret(env, 'BUTLER_JWT_SECRET');
  if (jwtSecret === undefined) {
    if (!dev) throw new ConfigError('BUTLER_JWT_SECRET is required (at least 32 bytes; e.g. `openssl rand -hex 32`)');
    jwtSecret = randomBytes(48).toString('base64url');
    generated.push('BUTLER_JWT_SECRET');
  }
  if (jwtSecret === GO_DEFAULT_JWT_SECRET) {
    throw new ConfigError('BUTLER_JWT_SECRET: the well-known default "butler-dev-secret-change-me" is not allowed');
  }
  if (Buffer.byteLength(jwtSecret, 'utf8') < MIN_JWT_SECRET_BYTES) {
    throw new ConfigError(
      `BUTLER_JWT_SECRET is too short (${Buffer.byteLength(jwtSecret, 'utf8')} bytes; at least ${MIN_JWT_SECRET_BYTES} required)`,
    );
  }

  const adminUsername = get('BUTLER_ADMIN_USERNAME') ?? 'admin';
  if (adminUsername.length > 256 || /[\s:]/.test(adminUsername)) {
    throw new ConfigError('BUTLER_ADMIN_USERNAME: must be at most 256 characters without spaces or colons');
  }
  let adminPassword = readSecret(env, 'BUTLER_ADMIN_PASSWORD');
  const adminPasswordHash = readSecret(env, 'BUTLER_ADMIN_PASSWORD_HASH');
  if (adminPassword !== undefined && adminPasswordHash !== undefined) {
    throw new ConfigError('BUTLER_ADMIN_PASSWORD and BUTLER_ADMIN_PASSWORD_HASH are both set; set only one');
  }
  if (adminPasswordHash !== undefined && !isSupportedHash(adminPasswordHash)) {
    throw new ConfigError('BUTLER_ADMIN_PASSWORD_HASH: not an argon2id ($argon2id$…) or bcrypt ($2a$/$2b$/$2y$…) hash');
  }
  if (adminPassword === undefined && adminPasswordHash === undefined) {
    if (!dev) {
      throw new ConfigError('BUTLER_ADMIN_PASSWORD (or BUTLER_ADMIN_PASSWORD_HASH) is required');
    }
    adminPassword = randomBytes(18).toString('base64url');
    generated.push('BUTLER_ADMIN_PASSWORD');
  }
  if (adminPassword !== undefined && adminPassword.toLowerCase() === 'admin') {
    throw new ConfigError('BUTLER_ADMIN_PASSWORD: "admin" is not allowed; choose a real password');
  }

  const cookieSecure = (get('BUTLER_COOKIE_SECURE') ?? 'auto').toLowerCase();
  if (!['auto', 'true', 'false'].includes(cookieSecure)) {
    throw new ConfigError(`BUTLER_COOKIE_SECURE: "${cookieSecure}" is not auto, true or false`);
  }

  const corsRaw = get('BUTLER_CORS_ORIGINS');
  const corsOrigins =
    corsRaw !== undefined ? parseOrigins('BUTLER_CORS_ORIGINS', corsRaw) : dev ? [...DEV_CORS_ORIGINS] : [];

  const staticDirRaw = flags.staticDir ?? get('BUTLER_STATIC_DIR');
  const staticDir =
    staticDirRaw === undefined
      ? undefined
      : directory(flags.staticDir ? '--static-dir' : 'BUTLER_STATIC_DIR', staticDirRaw);

  const oidcEnvProvider = loadOidcEnvProvider(env);

  const metricsAddr = get('BUTLER_METRICS_ADDR');
  if (metricsAddr !== undefined) parseAddr('BUTLER_METRICS_ADDR', metricsAddr);

  const certFile = get('BUTLER_TLS_CERT_FILE');
  const keyFile = get('BUTLER_TLS_KEY_FILE');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError('BUTLER_TLS_CERT_FILE and BUTLER_TLS_KEY_FILE must be set together');
  }
  if (certFile !== undefined) readableFile('BUTLER_TLS_CERT_FILE', certFile);
  if (keyFile !== undefined) readableFile('BUTLER_TLS_KEY_FILE', keyFile);

  const managementKubeconfigPath = get('BUTLER_MANAGEMENT_TERMINAL_KUBECONFIG');
  if (managementKubeconfigPath !== undefined) {
    readableFile('BUTLER_MANAGEMENT_TERMINAL_KUBECONFIG', managementKubeconfigPath);
  }

  const headersTimeoutMs = positive('BUTLER_HTTP_HEADERS_TIMEOUT', duration('BUTLER_HTTP_HEADERS_TIMEOUT', '10s'));
  const bodyTimeoutMs = positive('BUTLER_HTTP_BODY_TIMEOUT', duration('BUTLER_HTTP_BODY_TIMEOUT', '30s'));
  if (headersTimeoutMs > bodyTimeoutMs) {
    throw new ConfigError('BUTLER_HTTP_HEADERS_TIMEOUT must not be above BUTLER_HTTP_BODY_TIMEOUT');
  }

  const highWater = size('BUTLER_WS_SLOW_CLIENT_HIGH_WATER', '1MiB');
  const lowWater = size('BUTLER_WS_SLOW_CLIENT_LOW_WATER', '256KiB');
  if (lowWater >= highWater) {
    throw new ConfigError('BUTLER_WS_SLOW_CLIENT_LOW_WATER must be below BUTLER_WS_SLOW_CLIENT_HIGH_WATER');
  }

  return {
    version: packageVersion(),
    dev,
    addr,
    host,
    port,
    staticDir,
    logLevel,
    logFormat,
    kube: kubeConnection(flags.kubeconfig, get('KUBECONFIG'), get('KUBERNETES_SERVICE_HOST'), opts),
    kubeTimeoutMs: positive('BUTLER_KUBE_TIMEOUT', duration('BUTLER_KUBE_TIMEOUT', '15s')),
    tenantTimeoutMs: positive('BUTLER_TENANT_TIMEOUT', duration('BUTLER_TENANT_TIMEOUT', '10s')),
    tenantNamespace,
    systemNamespace,
    providerNamespaces: namespaces('BUTLER_PROVIDER_NAMESPACES', [systemNamespace]),
    managementNamespaces: namespaces('BUTLER_MANAGEMENT_NAMESPACES', [
      systemNamespace,
      'kamaji-system',
      'capi-system',
      'cert-manager',
      'kube-system',
    ]),
    auth: {
      jwtSecret,
      adminUsername,
      ...(adminPassword !== undefined ? { adminPassword } : { adminPasswordHash }),
      tokenTtlMs: positive('BUTLER_TOKEN_TTL', duration('BUTLER_TOKEN_TTL', '24h')),
      kubectlTokenTtlMs: positive('BUTLER_KUBECTL_TOKEN_TTL', duration('BUTLER_KUBECTL_TOKEN_TTL', '8h')),
      cookieSecure: cookieSecure as CookieSecureMode,
      loginMaxFailures: int('BUTLER_LOGIN_MAX_FAILURES', 5),
      loginFailureWindowMs: positive('BUTLER_LOGIN_FAILURE_WINDOW', duration('BUTLER_LOGIN_FAILURE_WINDOW', '15m')),
      loginRateLimit: int('BUTLER_LOGIN_RATE_LIMIT', 20),
      generatedSecrets: generated.length > 0,
      revocationStaleAfterMs: positive(
        'BUTLER_REVOCATION_STALE_AFTER',
        duration('BUTLER_REVOCATION_STALE_AFTER', '15s'),
      ),
    },
    identity: {
      ...(get('BUTLER_BASE_URL') !== undefined ? { baseUrl: baseUrl(get('BUTLER_BASE_URL')!) } : {}),
      inviteTtlMs: positive('BUTLER_INVITE_TTL', duration('BUTLER_INVITE_TTL', '168h')),
      lockoutFailures: int('BUTLER_USER_LOCKOUT_FAILURES', 5),
      lockoutMs: positive('BUTLER_USER_LOCKOUT_DURATION', duration('BUTLER_USER_LOCKOUT_DURATION', '15m')),
    },
    http: {
      maxBodyBytes: size('BUTLER_MAX_BODY_BYTES', '1MiB'),
      allowedOrigins: parseOrigins('BUTLER_ALLOWED_ORIGINS', get('BUTLER_ALLOWED_ORIGINS') ?? ''),
      corsOrigins,
      trustProxy: bool('BUTLER_TRUST_PROXY', false),
      ...(get('BUTLER_CSP') !== undefined ? { csp: cspValue(get('BUTLER_CSP')!) } : {}),
      ...(get('BUTLER_PUBLIC_URL') !== undefined ? { publicUrl: publicUrl(get('BUTLER_PUBLIC_URL')!) } : {}),
      ...(get('BUTLER_PUBLIC_CA_FILE') !== undefined
        ? { publicCaFile: readableFile('BUTLER_PUBLIC_CA_FILE', get('BUTLER_PUBLIC_CA_FILE')!) }
        : {}),
      headersTimeoutMs,
      bodyTimeoutMs,
      idleTimeoutMs: positive('BUTLER_HTTP_IDLE_TIMEOUT', duration('BUTLER_HTTP_IDLE_TIMEOUT', '72s')),
      unauthMaxPerAddress: int('BUTLER_HTTP_UNAUTH_MAX_PER_ADDRESS', 32),
    },
    ws: {
      unauthTimeoutMs: positive('BUTLER_WS_UNAUTH_TIMEOUT', duration('BUTLER_WS_UNAUTH_TIMEOUT', '30s')),
      unauthMax: int('BUTLER_WS_UNAUTH_MAX', 200),
      unauthMaxPerAddress: int('BUTLER_WS_UNAUTH_MAX_PER_ADDRESS', 10),
      eventBuffer: int('BUTLER_WS_EVENT_BUFFER', 1024),
      eventBufferBytes: size('BUTLER_WS_EVENT_BUFFER_BYTES', '16MiB'),
      sendQueueBytes: size('BUTLER_WS_SEND_QUEUE_BYTES', '4MiB'),
      slowClientHighWaterBytes: highWater,
      slowClientLowWaterBytes: lowWater,
      slowClientMaxMs: positive('BUTLER_WS_SLOW_CLIENT_MAX', duration('BUTLER_WS_SLOW_CLIENT_MAX', '60s')),
      pingIntervalMs: positive('BUTLER_WS_PING_INTERVAL', duration('BUTLER_WS_PING_INTERVAL', '30s')),
      maxMessageBytes: size('BUTLER_WS_MAX_MESSAGE_BYTES', '1MiB'),
    },
    terminal: {
      managementEnabled: bool('BUTLER_TERMINAL_MANAGEMENT', true),
      ...(managementKubeconfigPath !== undefined ? { managementKubeconfigPath } : {}),
      idleTimeoutMs: positive('BUTLER_TERMINAL_IDLE_TIMEOUT', duration('BUTLER_TERMINAL_IDLE_TIMEOUT', '30m')),
      maxLifetimeMs: positive('BUTLER_TERMINAL_MAX_LIFETIME', duration('BUTLER_TERMINAL_MAX_LIFETIME', '8h')),
      maxPerUser: int('BUTLER_TERMINAL_MAX_PER_USER', 5),
      maxTotal: int('BUTLER_TERMINAL_MAX_TOTAL', 50),
      reattachGraceMs: duration('BUTLER_TERMINAL_REATTACH_GRACE', '60s'),
      scrollbackBytes: size('BUTLER_TERMINAL_SCROLLBACK_BYTES', '256KiB'),
      ...(get('BUTLER_TERMINAL_RECORDING_DIR') !== undefined
        ? { recordingDir: directory('BUTLER_TERMINAL_RECORDING_DIR', get('BUTLER_TERMINAL_RECORDING_DIR')!) }
        : {}),
      mode: terminalMode(get('BUTLER_TERMINAL_MODE')),
      pod: {
        image: imageRef(get('BUTLER_TERMINAL_IMAGE') ?? DEFAULT_TERMINAL_IMAGE),
        serviceAccount: dnsName(
          'BUTLER_TERMINAL_SERVICE_ACCOUNT',
          get('BUTLER_TERMINAL_SERVICE_ACCOUNT') ?? 'butler-terminal',
        ),
        cpuLimit: quantity('BUTLER_TERMINAL_CPU_LIMIT', get('BUTLER_TERMINAL_CPU_LIMIT') ?? '500m'),
        memoryLimit: quantity('BUTLER_TERMINAL_MEMORY_LIMIT', get('BUTLER_TERMINAL_MEMORY_LIMIT') ?? '256Mi'),
        startTimeoutMs: positive(
          'BUTLER_TERMINAL_POD_START_TIMEOUT',
          duration('BUTLER_TERMINAL_POD_START_TIMEOUT', '60s'),
        ),
      },
    },
    providers: {
      checkTimeoutMs: positive('BUTLER_PROVIDER_CHECK_TIMEOUT', duration('BUTLER_PROVIDER_CHECK_TIMEOUT', '10s')),
      blockedCidrs:
        get('BUTLER_PROVIDER_BLOCKED_CIDRS') !== undefined
          ? parseCidrs('BUTLER_PROVIDER_BLOCKED_CIDRS', get('BUTLER_PROVIDER_BLOCKED_CIDRS')!)
          : [...DEFAULT_PROVIDER_BLOCKED_CIDRS],
      allowedCidrs: parseCidrs('BUTLER_PROVIDER_ALLOWED_CIDRS', get('BUTLER_PROVIDER_ALLOWED_CIDRS') ?? ''),
      maxChecksPerUser: int('BUTLER_PROVIDER_MAX_CHECKS_PER_USER', 4),
      maxChecksTotal: int('BUTLER_PROVIDER_MAX_CHECKS_TOTAL', 16),
    },
    sso: {
      ...(get('BUTLER_OIDC_CA_FILE') !== undefined
        ? { caFile: readableFile('BUTLER_OIDC_CA_FILE', get('BUTLER_OIDC_CA_FILE')!) }
        : {}),
      timeoutMs: positive('BUTLER_OIDC_TIMEOUT', duration('BUTLER_OIDC_TIMEOUT', '10s')),
      clockToleranceSeconds: Math.round(duration('BUTLER_OIDC_CLOCK_TOLERANCE', '60s') / 1000),
      loginTimeoutMs: positive('BUTLER_OIDC_LOGIN_TIMEOUT', duration('BUTLER_OIDC_LOGIN_TIMEOUT', '10m')),
      blockedCidrs:
        get('BUTLER_OIDC_BLOCKED_CIDRS') !== undefined
          ? parseCidrs('BUTLER_OIDC_BLOCKED_CIDRS', get('BUTLER_OIDC_BLOCKED_CIDRS')!)
          : [...DEFAULT_PROVIDER_BLOCKED_CIDRS],
      allowedCidrs: parseCidrs('BUTLER_OIDC_ALLOWED_CIDRS', get('BUTLER_OIDC_ALLOWED_CIDRS') ?? ''),
      ...(oidcEnvProvider ? { envProvider: oidcEnvProvider } : {}),
    },
    proxy: {
      maxBodyBytes: size('BUTLER_PROXY_MAX_BODY_BYTES', '3MiB'),
      maxStreamsPerUser: int('BUTLER_PROXY_MAX_STREAMS_PER_USER', 10),
      maxBufferedBytes: size('BUTLER_PROXY_MAX_BUFFERED_BYTES', '32MiB'),
    },
    metrics: {
      ...(readSecret(env, 'BUTLER_METRICS_TOKEN') !== undefined
        ? { token: metricsToken(readSecret(env, 'BUTLER_METRICS_TOKEN')!) }
        : {}),
      ...(metricsAddr !== undefined ? { addr: metricsAddr } : {}),
    },
    ...(certFile !== undefined && keyFile !== undefined ? { tls: { certFile, keyFile } } : {}),
    audit: {
      ...(get('BUTLER_AUDIT_LOG_FILE') !== undefined ? { file: get('BUTLER_AUDIT_LOG_FILE')! } : {}),
      ...(get('BUTLER_AUDIT_DIR') !== undefined ? { dir: get('BUTLER_AUDIT_DIR')! } : {}),
      maxBytes: positive('BUTLER_AUDIT_MAX_BYTES', size('BUTLER_AUDIT_MAX_BYTES', '16MiB')),
    },
  };
}

/** An http(s) origin, optionally with a path prefix, without a trailing slash. */
function baseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`BUTLER_BASE_URL: "${value}" is not a URL`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username)
    throw new ConfigError(`BUTLER_BASE_URL: "${value}" must be an http(s) URL without query, fragment or credentials`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function kubeConnection(
  flagPath: string | undefined,
  envPath: string | undefined,
  serviceHost: string | undefined,
  opts: LoadOptions,
): KubeConnectionConfig {
  if (flagPath !== undefined) {
    return { source: 'kubeconfig-flag', kubeconfigPath: readableFile('--kubeconfig', flagPath) };
  }
  if (envPath !== undefined) {
    return { source: 'kubeconfig-env', kubeconfigPath: readableFile('KUBECONFIG', envPath) };
  }
  const tokenPath = opts.inClusterTokenPath ?? IN_CLUSTER_TOKEN_PATH;
  if (serviceHost !== undefined && existsSync(tokenPath)) return { source: 'in-cluster' };
  throw new ConfigError(
    `no Kubernetes connection: pass --kubeconfig PATH, set KUBECONFIG, or run in a cluster (KUBERNETES_SERVICE_HOST and ${tokenPath})`,
  );
}

function namespace(setting: string, value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) {
    throw new ConfigError(`${setting}: "${value}" is not a valid namespace name`);
  }
  return value;
}

function positive(setting: string, ms: number): number {
  if (ms <= 0) throw new ConfigError(`${setting}: must be greater than zero`);
  return ms;
}

function readableFile(setting: string, path: string): string {
  const abs = resolve(path);
  const st = statSync(abs, { throwIfNoEntry: false });
  if (!st) throw new ConfigError(`${setting}: file ${path} does not exist`);
  if (!st.isFile()) throw new ConfigError(`${setting}: ${path} is not a file`);
  return abs;
}

function directory(setting: string, path: string): string {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new ConfigError(`${setting}: directory ${path} does not exist`);
  if (!st.isDirectory()) throw new ConfigError(`${setting}: ${path} is not a directory`);
  return realpathSync(path);
}

function isSupportedHash(hash: string): boolean {
  return (
    /^\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.test(hash) ||
    /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/.test(hash)
  );
}

function cspValue(value: string): string {
  if (/[\r\n]/.test(value)) throw new ConfigError('BUTLER_CSP: must be a single line');
  return value.trim();
}

/** An absolute http(s) URL without query or fragment; a trailing slash is dropped. */
function publicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`BUTLER_PUBLIC_URL: "${value}" is not a URL`);
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.search || url.hash || url.username || url.password) {
    throw new ConfigError('BUTLER_PUBLIC_URL: must be an http(s) URL without credentials, query or fragment');
  }
  return url.href.replace(/\/+$/, '');
}

function metricsToken(token: string): string {
  if (Buffer.byteLength(token, 'utf8') < 16)
    throw new ConfigError('BUTLER_METRICS_TOKEN is too short (at least 16 bytes)');
  return token;
}
