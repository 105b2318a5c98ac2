// Small HTTP helpers for the auth tests: raw requests with any headers (Origin, Cookie) and the cookie attributes.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { butlerCrds } from '../../sim/crds.js';
import { startSimulator, type Simulator } from '../../sim/index.js';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
  setCookies: string[];
}

export function send(
  base: string,
  method: string,
  path: string,
  o: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> {
  const url = new URL(path, base);
  const payload = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  const headers: Record<string, string> = { ...o.headers };
  if (payload !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path: `${url.pathname}${url.search}`, headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          const sc = res.headers['set-cookie'];
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, setCookies: sc ?? [] });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The butler_session Set-Cookie line of an answer, or undefined. */
export const sessionCookieLine = (a: Answer): string | undefined =>
  a.setCookies.find((c) => c.startsWith('butler_session='));

/** Whether the answer clears the session cookie (Max-Age=0 and the 1970 Expires). */
export function clearsCookie(a: Answer): boolean {
  const line = sessionCookieLine(a);
  return (
    !!line &&
    /^butler_session=;/.test(line) &&
    /Max-Age=0/i.test(line) &&
    /Expires=Thu, 01 Jan 1970 00:00:00 GMT/i.test(line)
  );
}

/** A simulator like a Butler management cluster: the Butler CRDs, the system and the default tenant namespace. */
export function startAuthSimulator(): Promise<Simulator> {
  const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return startSimulator({
    crds: butlerCrds(),
    seed: [ns('butler-system'), ns('butler-tenants')],
    bookmarkIntervalMs: 200,
  });
}

export const randomSecret = () => randomBytes(36).toString('base64');
