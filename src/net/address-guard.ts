// SSRF address guard (docs/api.md §5): every resolved address of a provider endpoint is checked against the blocked
// ranges, minus the allowed exceptions, before butler-server connects to it.
import { cidrContains, parseCidr, parseIp, unmapIpv4, type Cidr } from './ip.js';

/** Link-local, metadata, loopback, unspecified, multicast, broadcast. */
export const DEFAULT_BLOCKED_CIDRS = [
  '169.254.0.0/16',
  'fe80::/10',
  'fd00:ec2::254/128',
  '100.100.100.200/32',
  '127.0.0.0/8',
  '::1/128',
  '0.0.0.0/8',
  '::/128',
  '224.0.0.0/4',
  'ff00::/8',
  '255.255.255.255/32',
];

export type GuardVerdict = { allowed: true } | { allowed: false; range: string };

export interface AddressGuard {
  check(address: string): GuardVerdict;
}

function parseAll(list: string[], what: string): Cidr[] {
  return list.map((text) => {
    const cidr = parseCidr(text);
    if (!cidr) throw new Error(`invalid ${what} CIDR "${text}"`);
    return cidr;
  });
}

/** blocked: the ranges to refuse (the default list when undefined); allowed: exceptions carved out of them. */
export function createAddressGuard(opts: { blockedCidrs?: string[]; allowedCidrs?: string[] }): AddressGuard {
  const blocked = parseAll(opts.blockedCidrs ?? DEFAULT_BLOCKED_CIDRS, 'blocked');
  const allowed = parseAll(opts.allowedCidrs ?? [], 'allowed');
  return {
    check(address) {
      const parsed = parseIp(address);
      if (!parsed) return { allowed: false, range: 'not an IP address' };
      const candidates = [parsed, unmapIpv4(parsed)];
      const hit = blocked.find((cidr) => candidates.some((ip) => cidrContains(cidr, ip)));
      if (!hit) return { allowed: true };
      if (allowed.some((cidr) => candidates.some((ip) => cidrContains(cidr, ip)))) return { allowed: true };
      return { allowed: false, range: hit.text };
    },
  };
}
