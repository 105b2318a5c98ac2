// The one typed configuration object. `loadConfig` (src/config/load.ts) fills it from flags and environment;
// every capability reads only this. Durations are milliseconds, sizes bytes.

export type CookieSecureMode = 'auto' | 'true' | 'false';

export interface KubeConnectionConfig {
  /** Where the management cluster's credentials come from. */
  source: 'kubeconfig-flag' | 'kubeconfig-env' | 'in-cluster';
  /** Path of the kubeconfig file (absent for in-cluster). */
  kubeconfigPath?: string;
}

export interface Config {
  version: string;
  dev: boolean;
  /** Listen address as given, e.g. ":8080" or "127.0.0.1:8080". */
  addr: string;
  host: string;
  port: number;
  staticDir?: string;
  /** Directory served in place of the built-in page when no staticDir is configured (set by the demo, no flag). */
  builtinConsoleDir?: string;
  logLevel: string;
  /** BUTLER_LOG_FORMAT: `json` (default) or `pretty` (readable lines; the default with --dev and in the demo). */
  logFormat: 'json' | 'pretty';

  kube: KubeConnectionConfig;
  /** BUTLER_KUBE_TIMEOUT (15s): timeout of one Kubernetes API call. */
  kubeTimeoutMs: number;
  /** BUTLER_TENANT_TIMEOUT (10s): timeout of one call to a tenant cluster's API. */
  tenantTimeoutMs: number;

  tenantNamespace: string;
  systemNamespace: string;
  /** BUTLER_PROVIDER_NAMESPACES (default: the system namespace). */
  providerNamespaces: string[];
  /** BUTLER_MANAGEMENT_NAMESPACES (system ns, kamaji-system, capi-system, cert-manager, kube-system). */
  managementNamespaces: string[];

  auth: {
    jwtSecret: string;
    adminUsername: string;
    /** Exactly one of adminPassword / adminPasswordHash is set. */
    adminPassword?: string;
    adminPasswordHash?: string;
    tokenTtlMs: number;
    /** BUTLER_KUBECTL_TOKEN_TTL (8h): lifetime of a token issued inside a downloaded kubeconfig. */
    kubectlTokenTtlMs: number;
    cookieSecure: CookieSecureMode;
    loginMaxFailures: number;
    loginFailureWindowMs: number;
    /** Login attempts per client address per minute. */
    loginRateLimit: number;
    /** True when secrets were generated at random (--dev / demo). */
    generatedSecrets: boolean;
    /** BUTLER_REVOCATION_STALE_AFTER (15s): revocations not received for this long make /readyz not ready. */
    revocationStaleAfterMs: number;
  };

  identity: {
    /** BUTLER_BASE_URL: public base URL for invite links; unset = derived from the request (scheme and host). */
    baseUrl?: string;
    /** BUTLER_INVITE_TTL (168h = 7 days): how long an invite link stays valid. */
    inviteTtlMs: number;
    /** BUTLER_USER_LOCKOUT_FAILURES (5): consecutive failed logins of an internal user before a temporary lockout. */
    lockoutFailures: number;
    /** BUTLER_USER_LOCKOUT_DURATION (15m): how long a locked internal user stays locked. */
    lockoutMs: number;
  };

  http: {
    maxBodyBytes: number;
    allowedOrigins: string[];
    corsOrigins: string[];
    trustProxy: boolean;
    csp?: string;
    /** BUTLER_PUBLIC_URL: the server's address as clients reach it (e.g. behind an ingress), without a trailing slash. */
    publicUrl?: string;
    /** BUTLER_PUBLIC_CA_FILE: CA certificate(s) (PEM) that kubeconfigs for BUTLER_PUBLIC_URL embed. */
    publicCaFile?: string;
    /** BUTLER_HTTP_HEADERS_TIMEOUT (10s): a request's headers must arrive within this (else 408, closed). */
    headersTimeoutMs: number;
    /** BUTLER_HTTP_BODY_TIMEOUT (30s): the whole request, body included, must arrive within this (else 408, closed). */
    bodyTimeoutMs: number;
    /** BUTLER_HTTP_IDLE_TIMEOUT (72s): a kept-alive connection without a request is closed after this. */
    idleTimeoutMs: number;
    /** BUTLER_HTTP_UNAUTH_MAX_PER_ADDRESS (32): requests without a session in progress at once per client address. */
    unauthMaxPerAddress: number;
  };

  ws: {
    unauthTimeoutMs: number;
    unauthMax: number;
    unauthMaxPerAddress: number;
    eventBuffer: number;
    /** BUTLER_WS_EVENT_BUFFER_BYTES (16 MiB): the same history bounded in bytes of frames. */
    eventBufferBytes: number;
    /** BUTLER_WS_SEND_QUEUE_BYTES (4 MiB): frames waiting for one slow socket before they become one resync. */
    sendQueueBytes: number;
    /** Unsent bytes above which a live-update socket is treated as slow (1 MiB). */
    slowClientHighWaterBytes: number;
    slowClientLowWaterBytes: number;
    slowClientMaxMs: number;
    pingIntervalMs: number;
    /** BUTLER_WS_MAX_MESSAGE_BYTES (1 MiB): largest client frame any socket accepts (the WebSocket server's maxPayload). */
    maxMessageBytes: number;
  };

  terminal: {
    managementEnabled: boolean;
    managementKubeconfigPath?: string;
    idleTimeoutMs: number;
    maxLifetimeMs: number;
    maxPerUser: number;
    maxTotal: number;
    reattachGraceMs: number;
    scrollbackBytes: number;
    recordingDir?: string;
    /** BUTLER_TERMINAL_MODE: `pod` (default) runs each shell in a pod; `local` forks PTYs in the server (development only). */
    mode: 'pod' | 'local';
    /** Shell pods (pod mode), in the system namespace. */
    pod: {
      image: string;
      /** The ServiceAccount whose token a management shell's kubeconfig carries (bound by the deploy manifests). */
      serviceAccount: string;
      cpuLimit: string;
      memoryLimit: string;
      /** How long a new shell pod may take to run. */
      startTimeoutMs: number;
    };
  };

  providers: {
    checkTimeoutMs: number;
    blockedCidrs: string[];
    allowedCidrs: string[];
    maxChecksPerUser: number;
    maxChecksTotal: number;
  };

  /** Single sign-on (OpenID Connect) as a relying party of the IdentityProvider objects. */
  sso: {
    /** BUTLER_OIDC_CA_FILE: PEM certificates trusted for IdP connections besides the system's. */
    caFile?: string;
    /** BUTLER_OIDC_TIMEOUT (10s): one call to an IdP (discovery, JWKS, token). */
    timeoutMs: number;
    /** BUTLER_OIDC_CLOCK_TOLERANCE (60s): accepted clock difference for ID token exp/iat/nbf. */
    clockToleranceSeconds: number;
    /** BUTLER_OIDC_LOGIN_TIMEOUT (10m): how long a started sign-in may take until the callback. */
    loginTimeoutMs: number;
    /** BUTLER_OIDC_BLOCKED_CIDRS / BUTLER_OIDC_ALLOWED_CIDRS: where IdP requests may go (as for provider checks). */
    blockedCidrs: string[];
    allowedCidrs: string[];
    /** The provider configured by BUTLER_OIDC_* settings (src/config/oidc-env.ts), when on. */
    envProvider?: OidcEnvProvider;
  };

  proxy: {
    maxBodyBytes: number;
    maxStreamsPerUser: number;
    /** BUTLER_PROXY_MAX_BUFFERED_BYTES (32 MiB): above this many bytes held by proxied streams, new requests get 503. */
    maxBufferedBytes: number;
  };

  metrics: {
    token?: string;
    addr?: string;
  };

  tls?: { certFile: string; keyFile: string };

  audit: {
    /** Audit lines go to stdout (with the logs) unless a file is named. */
    file?: string;
    /** Directory of the queryable audit store (GET /api/admin/audit); in memory only when unset. */
    dir?: string;
    /** Bound of the queryable audit store in bytes (its JSON lines; files or memory). */
    maxBytes: number;
  };
}

/** The identity provider of the BUTLER_OIDC_* settings (listed beside the IdentityProvider objects). */
export interface OidcEnvProvider {
  /** BUTLER_OIDC_DISPLAY_NAME (SSO): the button's "Sign in with <displayName>". */
  displayName: string;
  /** BUTLER_OIDC_ISSUER_URL (https://). */
  issuer: string;
  /** BUTLER_OIDC_CLIENT_ID. */
  clientId: string;
  /** BUTLER_OIDC_CLIENT_SECRET or BUTLER_OIDC_CLIENT_SECRET_FILE. */
  clientSecret: string;
  /** BUTLER_OIDC_REDIRECT_URL: this server's /api/auth/callback as the IdP knows it. */
  redirectUrl: string;
  /** BUTLER_OIDC_SCOPES (openid email profile), always with openid. */
  scopes: string[];
  /** BUTLER_OIDC_HOSTED_DOMAIN: only ID tokens with this `hd` claim (Google Workspace). */
  hostedDomain?: string;
  /** BUTLER_OIDC_GROUPS_CLAIM (groups). */
  groupsClaim: string;
  /** BUTLER_OIDC_EMAIL_CLAIM (email). */
  emailClaim: string;
}
