// Parsers for individual setting values. Each throws ConfigError naming the setting it was given.

import { isIP } from 'node:net';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations: `30s`, `15m`, `24h`, `1h30m`, `500ms`. Returns milliseconds. */
export function parseDuration(name: string, raw: string): number {
  const text = raw.trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(text)) !== null) {
    total += Number(match[1]) * DURATION_UNITS[match[2]!]!;
    consumed = re.lastIndex;
  }
  if (text === '' || consumed !== text.length) {
    throw new ConfigError(`${name}: invalid duration "${raw}" (use e.g. 30s, 15m, 24h, 1h30m)`);
  }
  return Math.round(total);
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1000,
  ki: 1024,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mi: 1 << 20,
  mib: 1 << 20,
  g: 1e9,
  gb: 1e9,
  gi: 1 << 30,
  gib: 1 << 30,
};

/** Byte sizes: a plain number of bytes, or with a unit (`256KiB`, `1MiB`, `3Mi`, `10MB`). */
export function parseSize(name: string, raw: string): number {
  const match = /^(\d+)\s*([a-zA-Z]*)$/.exec(raw.trim());
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new ConfigError(`${name}: invalid size "${raw}" (use bytes or e.g. 256KiB, 1MiB)`);
  }
  const value = Number(match[1]) * unit;
  if (value <= 0 || !Number.isSafeInteger(value))
    throw new ConfigError(`${name}: size must be a positive number of bytes`);
  return value;
}

export function parsePositiveInt(name: string, raw: string): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
    throw new ConfigError(`${name}: "${raw}" is not a positive integer`);
  }
  return Number(raw);
}

export function parseBool(name: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name}: "${raw}" is not a boolean (true or false)`);
}

export function parseList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** An origin is `scheme://host[:port]` with no path; returned normalised (lowercase, default port dropped). */
export function parseOrigins(name: string, raw: string): string[] {
  return parseList(raw).map((item) => {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      throw new ConfigError(`${name}: "${item}" is not an origin like https://console.example.com`);
    }
    if (
      !['http:', 'https:'].includes(url.protocol) ||
      (url.pathname !== '/' && url.pathname !== '') ||
      url.search ||
      url.hash ||
      url.username
    ) {
      throw new ConfigError(`${name}: "${item}" is not an origin like https://console.example.com`);
    }
    return url.origin;
  });
}

export function parseCidrs(name: string, raw: string): string[] {
  return parseList(raw).map((item) => {
    const [addr, prefix, extra] = item.split('/');
    const family = isIP(addr ?? '');
    const max = family === 4 ? 32 : 128;
    const bits = prefix === undefined ? max : Number(prefix);
    if (family === 0 || extra !== undefined || (prefix !== undefined && !/^\d+$/.test(prefix)) || bits > max) {
      throw new ConfigError(`${name}: "${item}" is not a CIDR like 10.0.0.0/8`);
    }
    return `${addr}/${bits}`;
  });
}

/** `:8080`, `0.0.0.0:8080`, `127.0.0.1:0`, `[::1]:8080`, `localhost:8080`. An empty host means all interfaces. */
export function parseAddr(name: string, raw: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(raw.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535 || (match[1] !== undefined && isIP(match[1]) !== 6)) {
    throw new ConfigError(`${name}: invalid listen address "${raw}" (use :8080 or HOST:PORT)`);
  }
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}
