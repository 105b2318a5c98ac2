// The fetch openid-client uses for every IdP call (discovery, JWKS, token, end-session metadata): the guarded
// outbound request of the provider checks (address guard, one deadline, capped body, no redirects), with the
// system CAs plus BUTLER_OIDC_CA_FILE. An IdP that cannot be reached becomes an IdpUnreachable error.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { CustomFetch } from 'openid-client';
import type { Config } from '../config/types.js';
import { createAddressGuard } from '../net/address-guard.js';
import { OutboundFailure, outboundRequest } from '../providers/outbound.js';

export class IdpUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdpUnreachable';
  }
}

export function createIdpFetch(sso: Config['sso']): CustomFetch {
  const guard = createAddressGuard({ blockedCidrs: sso.blockedCidrs, allowedCidrs: sso.allowedCidrs });
  const ca = sso.caFile ? Buffer.from([...rootCertificates, readFileSync(sso.caFile, 'utf8')].join('\n')) : undefined;
  return async (url, options) => {
    const body =
      options.body === undefined || options.body === null
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : options.body instanceof URLSearchParams
            ? options.body.toString()
            : Buffer.from(options.body as ArrayBuffer).toString('utf8');
    const method = options.method.toUpperCase();
    if (method !== 'GET' && method !== 'POST') throw new IdpUnreachable(`unsupported IdP request method ${method}`);
    try {
      const res = await outboundRequest({
        url: new URL(url),
        method,
        headers: options.headers,
        ...(body !== undefined ? { body } : {}),
        timeoutMs: sso.timeoutMs,
        tls: { insecure: false, ...(ca ? { ca } : {}) },
        guard,
      });
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers)) {
        if (Array.isArray(v)) for (const x of v) headers.append(k, x);
        else if (v !== undefined) headers.set(k, String(v));
      }
      const noBody = res.status === 204 || res.status === 304;
      return new Response(noBody ? null : res.body, { status: res.status, headers });
    } catch (err) {
      if (err instanceof OutboundFailure) throw new IdpUnreachable(`identity provider unreachable: ${err.message}`);
      throw err;
    }
  };
}
