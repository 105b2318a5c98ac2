import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, DEFAULT_PROVIDER_BLOCKED_CIDRS, loadConfig } from './load.js';
import { parseDuration, parseSize } from './parse.js';

const dir = mkdtempSync(join(tmpdir(), 'butler-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const kubeconfig = join(dir, 'kubeconfig');
writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
const SECRET = 'x'.repeat(32);
const base = { BUTLER_JWT_SECRET: SECRET, BUTLER_ADMIN_PASSWORD: 'correct horse battery' };
const load = (env: Record<string, string> = {}, argv: string[] = ['--kubeconfig', kubeconfig]) =>
  loadConfig(argv, { ...base, ...env }, { inClusterTokenPath: join(dir, 'no-such-token') });

function refuses(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), 'message is one line');
    return true;
  });
}

describe('defaults', () => {
  test('every setting has its documented default', () => {
    const c = load();
    assert.equal(c.dev, false);
    assert.equal(c.addr, ':8080');
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.port, 8080);
    assert.equal(c.staticDir, undefined);
    assert.equal(c.logLevel, 'info');
    assert.deepEqual(c.kube, { source: 'kubeconfig-flag', kubeconfigPath: kubeconfig });
    assert.equal(c.kubeTimeoutMs, 15_000);
    assert.equal(c.tenantTimeoutMs, 10_000);
    assert.equal(c.tenantNamespace, 'butler-tenants');
    assert.equal(c.systemNamespace, 'butler-system');
    assert.deepEqual(c.providerNamespaces, ['butler-system']);
    assert.deepEqual(c.managementNamespaces, [
      'butler-system',
      'kamaji-system',
      'capi-system',
      'cert-manager',
      'kube-system',
    ]);
    assert.deepEqual(c.auth, {
      jwtSecret: SECRET,
      adminUsername: 'admin',
      adminPassword: 'correct horse battery',
      tokenTtlMs: 24 * 3600_000,
      kubectlTokenTtlMs: 8 * 3600_000,
      cookieSecure: 'auto',
      loginMaxFailures: 5,
      loginFailureWindowMs: 15 * 60_000,
      loginRateLimit: 20,
      generatedSecrets: false,
      revocationStaleAfterMs: 15_000,
    });
    assert.deepEqual(c.http, {
      maxBodyBytes: 1 << 20,
      allowedOrigins: [],
      corsOrigins: [],
      trustProxy: false,
      headersTimeoutMs: 10_000,
      bodyTimeoutMs: 30_000,
      idleTimeoutMs: 72_000,
      unauthMaxPerAddress: 32,
    });
    assert.deepEqual(c.ws, {
      unauthTimeoutMs: 30_000,
      unauthMax: 200,
      unauthMaxPerAddress: 10,
      eventBuffer: 1024,
      eventBufferBytes: 16 << 20,
      sendQueueBytes: 4 << 20,
      slowClientHighWaterBytes: 1 << 20,
      slowClientLowWaterBytes: 256 * 1024,
      slowClientMaxMs: 60_000,
      pingIntervalMs: 30_000,
      maxMessageBytes: 1 << 20,
    });
    assert.deepEqual(c.terminal, {
      managementEnabled: true,
      idleTimeoutMs: 30 * 60_000,
      maxLifetimeMs: 8 * 3600_000,
      maxPerUser: 5,
      maxTotal: 50,
      reattachGraceMs: 60_000,
      scrollbackBytes: 256 * 1024,
      mode: 'pod',
      pod: {
        image: 'docker.io/alpine/k8s:1.31.4',
        serviceAccount: 'butler-terminal',
        cpuLimit: '500m',
        memoryLimit: '256Mi',
        startTimeoutMs: 60_000,
      },
    });
    assert.deepEqual(c.providers, {
      checkTimeoutMs: 10_000,
      blockedCidrs: DEFAULT_PROVIDER_BLOCKED_CIDRS,
      allowedCidrs: [],
      maxChecksPerUser: 4,
      maxChecksTotal: 16,
    });
    assert.deepEqual(c.proxy, { maxBodyBytes: 3 << 20, maxStreamsPerUser: 10, maxBufferedBytes: 32 << 20 });
    assert.deepEqual(c.metrics, {});
    assert.equal(c.tls, undefined);
    assert.deepEqual(c.audit, { maxBytes: 16 * 1024 * 1024 });
    assert.match(c.version, /^\d+\.\d+\.\d+/);
  });

  test('every variable is read', () => {
    const staticDir = join(dir, 'static');
    mkdirSync(staticDir, { recursive: true });
    const cert = join(dir, 'tls.crt');
    const key = join(dir, 'tls.key');
    writeFileSync(cert, 'c');
    writeFileSync(key, 'k');
    const c = load({
      BUTLER_LOG_LEVEL: 'debug',
      BUTLER_KUBE_TIMEOUT: '20s',
      BUTLER_TENANT_TIMEOUT: '1m',
      BUTLER_TENANT_NAMESPACE: 'tenants',
      BUTLER_SYSTEM_NAMESPACE: 'sys',
      BUTLER_PROVIDER_NAMESPACES: 'sys, providers',
      BUTLER_MANAGEMENT_NAMESPACES: 'sys,kube-system',
      BUTLER_ADMIN_USERNAME: 'root',
      BUTLER_TOKEN_TTL: '1h30m',
      BUTLER_COOKIE_SECURE: 'true',
      BUTLER_LOGIN_MAX_FAILURES: '3',
      BUTLER_LOGIN_FAILURE_WINDOW: '5m',
      BUTLER_REVOCATION_STALE_AFTER: '45s',
      BUTLER_LOGIN_RATE_LIMIT: '7',
      BUTLER_MAX_BODY_BYTES: '2MiB',
      BUTLER_ALLOWED_ORIGINS: 'https://console.example.com, https://other.example:8443/',
      BUTLER_CORS_ORIGINS: 'http://localhost:5173',
      BUTLER_TRUST_PROXY: 'true',
      BUTLER_CSP: "default-src 'none'",
      BUTLER_HTTP_HEADERS_TIMEOUT: '5s',
      BUTLER_HTTP_BODY_TIMEOUT: '20s',
      BUTLER_HTTP_IDLE_TIMEOUT: '10s',
      BUTLER_HTTP_UNAUTH_MAX_PER_ADDRESS: '8',
      BUTLER_STATIC_DIR: staticDir,
      BUTLER_WS_UNAUTH_TIMEOUT: '10s',
      BUTLER_WS_UNAUTH_MAX: '5',
      BUTLER_WS_UNAUTH_MAX_PER_ADDRESS: '2',
      BUTLER_WS_EVENT_BUFFER: '16',
      BUTLER_WS_EVENT_BUFFER_BYTES: '2MiB',
      BUTLER_WS_SEND_QUEUE_BYTES: '512KiB',
      BUTLER_WS_SLOW_CLIENT_HIGH_WATER: '64KiB',
      BUTLER_WS_SLOW_CLIENT_LOW_WATER: '16KiB',
      BUTLER_WS_SLOW_CLIENT_MAX: '2s',
      BUTLER_WS_PING_INTERVAL: '500ms',
      BUTLER_WS_MAX_MESSAGE_BYTES: '4096',
      BUTLER_TERMINAL_MANAGEMENT: 'false',
      BUTLER_MANAGEMENT_TERMINAL_KUBECONFIG: kubeconfig,
      BUTLER_TERMINAL_IDLE_TIMEOUT: '1m',
      BUTLER_TERMINAL_MAX_LIFETIME: '2h',
      BUTLER_TERMINAL_MAX_PER_USER: '2',
      BUTLER_TERMINAL_MAX_TOTAL: '3',
      BUTLER_TERMINAL_REATTACH_GRACE: '5s',
      BUTLER_TERMINAL_SCROLLBACK_BYTES: '1KiB',
      BUTLER_TERMINAL_RECORDING_DIR: staticDir,
      BUTLER_TERMINAL_MODE: 'local',
      BUTLER_TERMINAL_IMAGE: 'registry.example/shell:1',
      BUTLER_TERMINAL_SERVICE_ACCOUNT: 'shell-sa',
      BUTLER_TERMINAL_CPU_LIMIT: '1',
      BUTLER_TERMINAL_MEMORY_LIMIT: '1Gi',
      BUTLER_TERMINAL_POD_START_TIMEOUT: '30s',
      BUTLER_PROVIDER_CHECK_TIMEOUT: '3s',
      BUTLER_PROVIDER_BLOCKED_CIDRS: '10.0.0.0/8,fe80::/10',
      BUTLER_PROVIDER_ALLOWED_CIDRS: '127.0.0.0/8',
      BUTLER_PROVIDER_MAX_CHECKS_PER_USER: '1',
      BUTLER_PROVIDER_MAX_CHECKS_TOTAL: '2',
      BUTLER_PROXY_MAX_BODY_BYTES: '1000',
      BUTLER_PROXY_MAX_STREAMS_PER_USER: '4',
      BUTLER_PROXY_MAX_BUFFERED_BYTES: '1MiB',
      BUTLER_METRICS_TOKEN: 'metrics-token-0123456789',
      BUTLER_METRICS_ADDR: ':9090',
      BUTLER_TLS_CERT_FILE: cert,
      BUTLER_TLS_KEY_FILE: key,
      BUTLER_AUDIT_LOG_FILE: join(dir, 'audit.log'),
      BUTLER_AUDIT_DIR: join(dir, 'audit-store'),
      BUTLER_AUDIT_MAX_BYTES: '2MiB',
    });
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.kubeTimeoutMs, 20_000);
    assert.equal(c.tenantTimeoutMs, 60_000);
    assert.equal(c.tenantNamespace, 'tenants');
    assert.equal(c.systemNamespace, 'sys');
    assert.deepEqual(c.providerNamespaces, ['sys', 'providers']);
    assert.deepEqual(c.managementNamespaces, ['sys', 'kube-system']);
    assert.equal(c.auth.adminUsername, 'root');
    assert.equal(c.auth.tokenTtlMs, 90 * 60_000);
    assert.equal(c.auth.cookieSecure, 'true');
    assert.equal(c.auth.loginMaxFailures, 3);
    assert.equal(c.auth.loginFailureWindowMs, 5 * 60_000);
    assert.equal(c.auth.revocationStaleAfterMs, 45_000);
    assert.equal(c.auth.loginRateLimit, 7);
    assert.deepEqual(c.http, {
      maxBodyBytes: 2 << 20,
      allowedOrigins: ['https://console.example.com', 'https://other.example:8443'],
      corsOrigins: ['http://localhost:5173'],
      trustProxy: true,
      csp: "default-src 'none'",
      headersTimeoutMs: 5000,
      bodyTimeoutMs: 20_000,
      idleTimeoutMs: 10_000,
      unauthMaxPerAddress: 8,
    });
    assert.equal(c.staticDir, staticDir);
    assert.deepEqual(c.ws, {
      unauthTimeoutMs: 10_000,
      unauthMax: 5,
      unauthMaxPerAddress: 2,
      eventBuffer: 16,
      eventBufferBytes: 2 << 20,
      sendQueueBytes: 512 * 1024,
      slowClientHighWaterBytes: 64 * 1024,
      slowClientLowWaterBytes: 16 * 1024,
      slowClientMaxMs: 2000,
      pingIntervalMs: 500,
      maxMessageBytes: 4096,
    });
    assert.deepEqual(c.terminal, {
      managementEnabled: false,
      managementKubeconfigPath: kubeconfig,
      idleTimeoutMs: 60_000,
      maxLifetimeMs: 2 * 3600_000,
      maxPerUser: 2,
      maxTotal: 3,
      reattachGraceMs: 5000,
      scrollbackBytes: 1024,
      recordingDir: staticDir,
      mode: 'local',
      pod: {
        image: 'registry.example/shell:1',
        serviceAccount: 'shell-sa',
        cpuLimit: '1',
        memoryLimit: '1Gi',
        startTimeoutMs: 30_000,
      },
    });
    assert.deepEqual(c.providers, {
      checkTimeoutMs: 3000,
      blockedCidrs: ['10.0.0.0/8', 'fe80::/10'],
      allowedCidrs: ['127.0.0.0/8'],
      maxChecksPerUser: 1,
      maxChecksTotal: 2,
    });
    assert.deepEqual(c.proxy, { maxBodyBytes: 1000, maxStreamsPerUser: 4, maxBufferedBytes: 1 << 20 });
    assert.deepEqual(c.metrics, { token: 'metrics-token-0123456789', addr: ':9090' });
    assert.deepEqual(c.tls, { certFile: cert, keyFile: key });
    assert.deepEqual(c.audit, {
      file: join(dir, 'audit.log'),
      dir: join(dir, 'audit-store'),
      maxBytes: 2 * 1024 * 1024,
    });
  });
});

describe('flags', () => {
  test('double-dash, single-dash and --flag=value forms', () => {
    const staticDir = join(dir, 'static-flags');
    mkdirSync(staticDir, { recursive: true });
    for (const argv of [
      ['--addr', '127.0.0.1:9000', '--kubeconfig', kubeconfig, '--dev', '--static-dir', staticDir],
      ['-addr', '127.0.0.1:9000', '-kubeconfig', kubeconfig, '-dev', '-static-dir', staticDir],
      [`--addr=127.0.0.1:9000`, `--kubeconfig=${kubeconfig}`, '--dev=true', `--static-dir=${staticDir}`],
    ]) {
      const c = load({}, argv);
      assert.equal(c.host, '127.0.0.1', argv.join(' '));
      assert.equal(c.port, 9000);
      assert.equal(c.dev, true);
      assert.equal(c.staticDir, staticDir);
      assert.equal(c.kube.kubeconfigPath, kubeconfig);
    }
  });

  test('--static-dir wins over BUTLER_STATIC_DIR', () => {
    const a = join(dir, 'static-a');
    const b = join(dir, 'static-b');
    mkdirSync(a, { recursive: true });
    mkdirSync(b, { recursive: true });
    assert.equal(load({ BUTLER_STATIC_DIR: a }, ['--kubeconfig', kubeconfig, '--static-dir', b]).staticDir, b);
  });

  test('listen addresses', () => {
    const addr = (a: string) => {
      const c = load({}, ['--kubeconfig', kubeconfig, '--addr', a]);
      return [c.host, c.port];
    };
    assert.deepEqual(addr(':8081'), ['0.0.0.0', 8081]);
    assert.deepEqual(addr('[::1]:8082'), ['::1', 8082]);
    assert.deepEqual(addr('localhost:0'), ['localhost', 0]);
    for (const bad of ['8080', ':99999', 'host:', 'a b:80', '[nothex]:80']) {
      refuses(() => addr(bad), /--addr: invalid listen address/);
    }
  });

  test('unknown flags, stray arguments and missing values are refused by name', () => {
    refuses(() => load({}, ['--kubeconfig', kubeconfig, '--verbose']), /unknown flag "--verbose"/);
    refuses(() => load({}, ['--kubeconfig', kubeconfig, '-port=1']), /unknown flag "-port=1"/);
    refuses(() => load({}, ['--kubeconfig', kubeconfig, 'serve']), /unexpected argument "serve"/);
    refuses(() => load({}, ['--kubeconfig']), /--kubeconfig needs a value/);
    refuses(() => load({}, ['--kubeconfig', kubeconfig, '--dev=maybe']), /--dev: "maybe"/);
  });
});

describe('secrets', () => {
  test('missing, short and well-known JWT secrets are refused', () => {
    refuses(() => load({ BUTLER_JWT_SECRET: '' }), /BUTLER_JWT_SECRET is required/);
    refuses(() => load({ BUTLER_JWT_SECRET: 'a'.repeat(16) }), /BUTLER_JWT_SECRET is too short \(16 bytes/);
    refuses(() => load({ BUTLER_JWT_SECRET: 'a'.repeat(31) }), /BUTLER_JWT_SECRET is too short/);
    refuses(
      () => load({ BUTLER_JWT_SECRET: 'butler-dev-secret-change-me' }),
      /BUTLER_JWT_SECRET: the well-known default/,
    );
    assert.equal(load({ BUTLER_JWT_SECRET: 'é'.repeat(16) }).auth.jwtSecret, 'é'.repeat(16), '32 bytes in UTF-8');
  });

  test('missing and weak passwords are refused; hashes are checked for their form', () => {
    refuses(
      () => load({ BUTLER_ADMIN_PASSWORD: '' }),
      /BUTLER_ADMIN_PASSWORD \(or BUTLER_ADMIN_PASSWORD_HASH\) is required/,
    );
    refuses(() => load({ BUTLER_ADMIN_PASSWORD: 'admin' }), /BUTLER_ADMIN_PASSWORD: "admin" is not allowed/);
    refuses(
      () => load({ BUTLER_ADMIN_PASSWORD_HASH: '$2b$10$' + 'a'.repeat(53) }),
      /BUTLER_ADMIN_PASSWORD and BUTLER_ADMIN_PASSWORD_HASH are both set/,
    );
    refuses(
      () => load({ BUTLER_ADMIN_PASSWORD: '', BUTLER_ADMIN_PASSWORD_HASH: 'plaintext' }),
      /BUTLER_ADMIN_PASSWORD_HASH: not an argon2id/,
    );
    const bcrypt = '$2b$10$' + 'N9qo8uLOickgx2ZMRZoMye'.padEnd(53, 'a');
    const argon = '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG';
    for (const hash of [bcrypt, argon]) {
      const c = load({ BUTLER_ADMIN_PASSWORD: '', BUTLER_ADMIN_PASSWORD_HASH: hash });
      assert.equal(c.auth.adminPasswordHash, hash);
      assert.equal(c.auth.adminPassword, undefined);
    }
  });

  test('_FILE variants are read, trailing newline removed', () => {
    const secretFile = join(dir, 'jwt');
    const passwordFile = join(dir, 'password');
    writeFileSync(secretFile, 'f'.repeat(40) + '\n');
    writeFileSync(passwordFile, 'from-a-file\r\n');
    const c = loadConfig(
      ['--kubeconfig', kubeconfig],
      { BUTLER_JWT_SECRET_FILE: secretFile, BUTLER_ADMIN_PASSWORD_FILE: passwordFile },
      {},
    );
    assert.equal(c.auth.jwtSecret, 'f'.repeat(40));
    assert.equal(c.auth.adminPassword, 'from-a-file');
    const metricsFile = join(dir, 'metrics');
    writeFileSync(metricsFile, 'metrics-token-from-file\n');
    assert.equal(load({ BUTLER_METRICS_TOKEN_FILE: metricsFile }).metrics.token, 'metrics-token-from-file');
    refuses(
      () => load({ BUTLER_JWT_SECRET_FILE: secretFile }),
      /set either BUTLER_JWT_SECRET or BUTLER_JWT_SECRET_FILE/,
    );
    refuses(
      () =>
        loadConfig(['--kubeconfig', kubeconfig], {
          ...base,
          BUTLER_JWT_SECRET: '',
          BUTLER_JWT_SECRET_FILE: join(dir, 'nope'),
        }),
      /BUTLER_JWT_SECRET_FILE: cannot read .*nope \(ENOENT\)/,
    );
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    refuses(
      () => load({ BUTLER_ADMIN_PASSWORD: '', BUTLER_ADMIN_PASSWORD_FILE: empty }),
      /BUTLER_ADMIN_PASSWORD_FILE: .* is empty/,
    );
    const short = join(dir, 'short');
    writeFileSync(short, 'too-short\n');
    refuses(() => load({ BUTLER_JWT_SECRET: '', BUTLER_JWT_SECRET_FILE: short }), /BUTLER_JWT_SECRET is too short/);
  });

  test('--dev generates missing secrets at random, and only them', () => {
    const argv = ['--kubeconfig', kubeconfig, '--dev'];
    const a = loadConfig(argv, {});
    const b = loadConfig(argv, {});
    assert.equal(a.auth.generatedSecrets, true);
    assert.ok(Buffer.byteLength(a.auth.jwtSecret) >= 32);
    assert.ok((a.auth.adminPassword ?? '').length >= 16);
    assert.notEqual(a.auth.jwtSecret, b.auth.jwtSecret);
    assert.notEqual(a.auth.adminPassword, b.auth.adminPassword);
    assert.deepEqual(a.http.corsOrigins, ['http://localhost:3000', 'http://127.0.0.1:3000']);
    const given = loadConfig(argv, base);
    assert.equal(given.auth.generatedSecrets, false);
    assert.equal(given.auth.jwtSecret, SECRET);
    refuses(() => loadConfig(argv, { BUTLER_JWT_SECRET: 'short' }), /BUTLER_JWT_SECRET is too short/);
    refuses(() => loadConfig(argv, { BUTLER_ADMIN_PASSWORD: 'admin' }), /"admin" is not allowed/);
    assert.deepEqual(loadConfig(argv, { BUTLER_CORS_ORIGINS: 'http://ui.local:8000' }).http.corsOrigins, [
      'http://ui.local:8000',
    ]);
  });
});

describe('kubernetes connection', () => {
  test('--kubeconfig, then KUBECONFIG, then in-cluster, else an error naming all three', () => {
    const other = join(dir, 'other-kubeconfig');
    writeFileSync(other, 'x');
    const token = join(dir, 'sa-token');
    writeFileSync(token, 't');
    const opts = { inClusterTokenPath: token };
    assert.deepEqual(loadConfig(['--kubeconfig', kubeconfig], { ...base, KUBECONFIG: other }, opts).kube, {
      source: 'kubeconfig-flag',
      kubeconfigPath: kubeconfig,
    });
    assert.deepEqual(loadConfig([], { ...base, KUBECONFIG: other, KUBERNETES_SERVICE_HOST: '10.0.0.1' }, opts).kube, {
      source: 'kubeconfig-env',
      kubeconfigPath: other,
    });
    assert.deepEqual(loadConfig([], { ...base, KUBERNETES_SERVICE_HOST: '10.0.0.1' }, opts).kube, {
      source: 'in-cluster',
    });
    refuses(
      () => loadConfig([], { ...base }, opts),
      /no Kubernetes connection: pass --kubeconfig PATH, set KUBECONFIG, or run in a cluster \(KUBERNETES_SERVICE_HOST/,
    );
    refuses(
      () => loadConfig([], { ...base, KUBERNETES_SERVICE_HOST: '10.0.0.1' }, { inClusterTokenPath: join(dir, 'none') }),
      /no Kubernetes connection/,
    );
    refuses(
      () => loadConfig(['--kubeconfig', join(dir, 'missing')], base),
      /--kubeconfig: file .*missing does not exist/,
    );
    refuses(
      () => loadConfig([], { ...base, KUBECONFIG: join(dir, 'missing') }),
      /KUBECONFIG: file .*missing does not exist/,
    );
  });
});

describe('invalid values name the setting', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ BUTLER_TOKEN_TTL: '24 hours' }, /BUTLER_TOKEN_TTL: invalid duration "24 hours"/],
    [{ BUTLER_TOKEN_TTL: '0s' }, /BUTLER_TOKEN_TTL: must be greater than zero/],
    [{ BUTLER_KUBE_TIMEOUT: '15' }, /BUTLER_KUBE_TIMEOUT: invalid duration/],
    [{ BUTLER_TENANT_TIMEOUT: 'soon' }, /BUTLER_TENANT_TIMEOUT: invalid duration/],
    [{ BUTLER_LOGIN_FAILURE_WINDOW: '-5m' }, /BUTLER_LOGIN_FAILURE_WINDOW: invalid duration/],
    [{ BUTLER_WS_UNAUTH_TIMEOUT: '1d' }, /BUTLER_WS_UNAUTH_TIMEOUT: invalid duration/],
    [{ BUTLER_TERMINAL_IDLE_TIMEOUT: 'x' }, /BUTLER_TERMINAL_IDLE_TIMEOUT: invalid duration/],
    [{ BUTLER_PROVIDER_CHECK_TIMEOUT: '10' }, /BUTLER_PROVIDER_CHECK_TIMEOUT: invalid duration/],
    [{ BUTLER_LOGIN_MAX_FAILURES: 'five' }, /BUTLER_LOGIN_MAX_FAILURES: "five" is not a positive integer/],
    [{ BUTLER_LOGIN_RATE_LIMIT: '0' }, /BUTLER_LOGIN_RATE_LIMIT: "0" is not a positive integer/],
    [{ BUTLER_TERMINAL_MAX_TOTAL: '1.5' }, /BUTLER_TERMINAL_MAX_TOTAL/],
    [{ BUTLER_TERMINAL_MODE: 'vm' }, /BUTLER_TERMINAL_MODE: "vm" is not pod or local/],
    [{ BUTLER_TERMINAL_MEMORY_LIMIT: 'lots' }, /BUTLER_TERMINAL_MEMORY_LIMIT/],
    [{ BUTLER_TERMINAL_SERVICE_ACCOUNT: 'Bad_Name' }, /BUTLER_TERMINAL_SERVICE_ACCOUNT/],
    [{ BUTLER_MAX_BODY_BYTES: '1 megabyte' }, /BUTLER_MAX_BODY_BYTES: invalid size/],
    [{ BUTLER_PROXY_MAX_BODY_BYTES: '0' }, /BUTLER_PROXY_MAX_BODY_BYTES: size must be a positive/],
    [{ BUTLER_COOKIE_SECURE: 'always' }, /BUTLER_COOKIE_SECURE: "always" is not auto, true or false/],
    [{ BUTLER_TRUST_PROXY: 'maybe' }, /BUTLER_TRUST_PROXY: "maybe" is not a boolean/],
    [{ BUTLER_TERMINAL_MANAGEMENT: 'disabled' }, /BUTLER_TERMINAL_MANAGEMENT: "disabled" is not a boolean/],
    [{ BUTLER_LOG_LEVEL: 'loud' }, /BUTLER_LOG_LEVEL: "loud" is not one of/],
    [
      { BUTLER_ALLOWED_ORIGINS: 'console.example.com' },
      /BUTLER_ALLOWED_ORIGINS: "console.example.com" is not an origin/,
    ],
    [{ BUTLER_ALLOWED_ORIGINS: 'https://a.example/path' }, /BUTLER_ALLOWED_ORIGINS: "https:\/\/a.example\/path"/],
    [{ BUTLER_CORS_ORIGINS: 'ftp://x.example' }, /BUTLER_CORS_ORIGINS/],
    [{ BUTLER_TENANT_NAMESPACE: 'Bad_NS' }, /BUTLER_TENANT_NAMESPACE: "Bad_NS" is not a valid namespace name/],
    [{ BUTLER_SYSTEM_NAMESPACE: '-x' }, /BUTLER_SYSTEM_NAMESPACE/],
    [{ BUTLER_PROVIDER_NAMESPACES: ' , ' }, /BUTLER_PROVIDER_NAMESPACES: needs at least one namespace/],
    [{ BUTLER_MANAGEMENT_NAMESPACES: 'ok,NOT OK' }, /BUTLER_MANAGEMENT_NAMESPACES: "NOT OK"/],
    [{ BUTLER_PROVIDER_BLOCKED_CIDRS: '10.0.0.0/33' }, /BUTLER_PROVIDER_BLOCKED_CIDRS: "10.0.0.0\/33" is not a CIDR/],
    [{ BUTLER_PROVIDER_ALLOWED_CIDRS: 'localhost' }, /BUTLER_PROVIDER_ALLOWED_CIDRS: "localhost" is not a CIDR/],
    [{ BUTLER_METRICS_ADDR: '9090' }, /BUTLER_METRICS_ADDR: invalid listen address/],
    [{ BUTLER_METRICS_TOKEN: 'short' }, /BUTLER_METRICS_TOKEN is too short/],
    [{ BUTLER_TLS_CERT_FILE: kubeconfig }, /BUTLER_TLS_CERT_FILE and BUTLER_TLS_KEY_FILE must be set together/],
    [
      { BUTLER_TLS_CERT_FILE: '/nonexistent/c', BUTLER_TLS_KEY_FILE: kubeconfig },
      /BUTLER_TLS_CERT_FILE: file \/nonexistent\/c does not exist/,
    ],
    [{ BUTLER_STATIC_DIR: '/nonexistent/dir' }, /BUTLER_STATIC_DIR: directory \/nonexistent\/dir does not exist/],
    [{ BUTLER_STATIC_DIR: kubeconfig }, /BUTLER_STATIC_DIR: .* is not a directory/],
    [{ BUTLER_MANAGEMENT_TERMINAL_KUBECONFIG: '/nonexistent/k' }, /BUTLER_MANAGEMENT_TERMINAL_KUBECONFIG: file/],
    [{ BUTLER_WS_SLOW_CLIENT_LOW_WATER: '2MiB' }, /BUTLER_WS_SLOW_CLIENT_LOW_WATER must be below/],
    [{ BUTLER_HTTP_HEADERS_TIMEOUT: '40s' }, /BUTLER_HTTP_HEADERS_TIMEOUT must not be above BUTLER_HTTP_BODY_TIMEOUT/],
    [{ BUTLER_HTTP_BODY_TIMEOUT: '0s' }, /BUTLER_HTTP_BODY_TIMEOUT: must be greater than zero/],
    [{ BUTLER_HTTP_UNAUTH_MAX_PER_ADDRESS: '0' }, /BUTLER_HTTP_UNAUTH_MAX_PER_ADDRESS/],
    [{ BUTLER_CSP: "default-src 'self'\nx" }, /BUTLER_CSP: must be a single line/],
    [{ BUTLER_ADMIN_USERNAME: 'two words' }, /BUTLER_ADMIN_USERNAME/],
  ];
  for (const [env, pattern] of cases) {
    test(Object.keys(env).join('+') + ' = ' + JSON.stringify(Object.values(env).join(' ')), () =>
      refuses(() => load(env), pattern),
    );
  }
});

test('duration and size parsers', () => {
  assert.equal(parseDuration('X', '30s'), 30_000);
  assert.equal(parseDuration('X', '15m'), 900_000);
  assert.equal(parseDuration('X', '1h30m'), 5_400_000);
  assert.equal(parseDuration('X', '250ms'), 250);
  assert.equal(parseDuration('X', '1.5s'), 1500);
  assert.throws(() => parseDuration('X', ''), /X: invalid duration/);
  assert.throws(() => parseDuration('X', '5'), /X: invalid duration/);
  assert.throws(() => parseDuration('X', '5s garbage'), /X: invalid duration/);
  assert.equal(parseSize('Y', '1MiB'), 1048576);
  assert.equal(parseSize('Y', '3Mi'), 3145728);
  assert.equal(parseSize('Y', '256KiB'), 262144);
  assert.equal(parseSize('Y', '1000'), 1000);
  assert.throws(() => parseSize('Y', '1.5MiB'), /Y: invalid size/);
});

test('static dir symlink is resolved to its real path', () => {
  const real = join(dir, 'real-static');
  mkdirSync(real, { recursive: true });
  const link = join(dir, 'link-static');
  symlinkSync(real, link);
  assert.equal(load({ BUTLER_STATIC_DIR: link }).staticDir, real);
});

describe('kubectl access and log format settings', () => {
  test('BUTLER_PUBLIC_URL: an http(s) URL, trailing slash dropped; BUTLER_PUBLIC_CA_FILE must exist', () => {
    assert.equal(load().http.publicUrl, undefined);
    assert.equal(
      load({ BUTLER_PUBLIC_URL: 'https://butler.example.com/' }).http.publicUrl,
      'https://butler.example.com',
    );
    assert.equal(load({ BUTLER_PUBLIC_URL: 'https://x.example/sub/' }).http.publicUrl, 'https://x.example/sub');
    refuses(
      () => load({ BUTLER_PUBLIC_URL: 'butler.example.com' }),
      /BUTLER_PUBLIC_URL: "butler.example.com" is not a URL/,
    );
    refuses(() => load({ BUTLER_PUBLIC_URL: 'ftp://x.example' }), /BUTLER_PUBLIC_URL: must be an http\(s\) URL/);
    refuses(() => load({ BUTLER_PUBLIC_URL: 'https://x.example/?a=1' }), /BUTLER_PUBLIC_URL/);
    refuses(
      () => load({ BUTLER_PUBLIC_CA_FILE: join(dir, 'no-such-ca.pem') }),
      /BUTLER_PUBLIC_CA_FILE: file .* does not exist/,
    );
  });

  test('BUTLER_KUBECTL_TOKEN_TTL defaults to 8h', () => {
    assert.equal(load().auth.kubectlTokenTtlMs, 8 * 3600_000);
    assert.equal(load({ BUTLER_KUBECTL_TOKEN_TTL: '30m' }).auth.kubectlTokenTtlMs, 30 * 60_000);
    refuses(() => load({ BUTLER_KUBECTL_TOKEN_TTL: '0s' }), /BUTLER_KUBECTL_TOKEN_TTL/);
  });

  test('BUTLER_LOG_FORMAT: json by default, pretty with --dev, either when set', () => {
    assert.equal(load().logFormat, 'json');
    assert.equal(load({}, ['--kubeconfig', kubeconfig, '--dev']).logFormat, 'pretty');
    assert.equal(load({ BUTLER_LOG_FORMAT: 'json' }, ['--kubeconfig', kubeconfig, '--dev']).logFormat, 'json');
    assert.equal(load({ BUTLER_LOG_FORMAT: 'pretty' }).logFormat, 'pretty');
    refuses(() => load({ BUTLER_LOG_FORMAT: 'xml' }), /BUTLER_LOG_FORMAT: "xml" is not json or pretty/);
  });
});
