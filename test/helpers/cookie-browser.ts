// A minimal browser for redirect flows over real HTTP(S): a cookie jar per host (path-scoped, Max-Age honoured),
// redirects followed one at a time so a test can stop at any hop, HTML forms posted as a browser would.
import http from 'node:http';
import https from 'node:https';

interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
  expires: number;
}

export interface Hop {
  url: string;
  status: number;
  location?: string;
  setCookies: string[];
  text: string;
}

export class CookieBrowser {
  private jar: StoredCookie[] = [];
  constructor(private readonly ca?: string) {}

  cookieHeader(url: URL): string {
    const now = Date.now();
    this.jar = this.jar.filter((c) => c.expires > now);
    return this.jar
      .filter(
        (c) =>
          c.host === url.host &&
          (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)),
      )
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  cookie(host: string, name: string): string | undefined {
    return this.jar.find((c) => c.host === host && c.name === name && c.expires > Date.now())?.value;
  }

  setCookie(url: URL, name: string, value: string, path = '/'): void {
    this.jar = this.jar.filter((c) => !(c.host === url.host && c.name === name && c.path === path));
    this.jar.push({ name, value, host: url.host, path, expires: Number.MAX_SAFE_INTEGER });
  }

  private store(url: URL, header: string): void {
    const [pair, ...attrs] = header.split(';');
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq).trim();
    const value = pair!.slice(eq + 1).trim();
    let path = '/';
    let expires = Number.MAX_SAFE_INTEGER;
    for (const a of attrs) {
      const [k, v = ''] = a.trim().split('=');
      const key = k!.toLowerCase();
      if (key === 'path') path = v;
      if (key === 'max-age') expires = Date.now() + Number(v) * 1000;
      if (key === 'expires' && expires === Number.MAX_SAFE_INTEGER) expires = Date.parse(v);
    }
    this.jar = this.jar.filter((c) => !(c.host === url.host && c.name === name && c.path === path));
    if (expires > Date.now() && value !== '') this.jar.push({ name, value, host: url.host, path, expires });
  }

  request(method: 'GET' | 'POST', target: string, body?: string, headers: Record<string, string> = {}): Promise<Hop> {
    const url = new URL(target);
    const cookie = this.cookieHeader(url);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        url,
        {
          method,
          agent: false,
          timeout: 15_000,
          ...(url.protocol === 'https:' && this.ca ? { ca: this.ca } : {}),
          headers: {
            ...(cookie ? { cookie } : {}),
            ...(body !== undefined
              ? {
                  'content-type': 'application/x-www-form-urlencoded',
                  'content-length': String(Buffer.byteLength(body)),
                }
              : {}),
            ...headers,
          },
        },
        (res) => {
          const setCookies = res.headers['set-cookie'] ?? [];
          for (const h of setCookies) this.store(url, h);
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              url: url.href,
              status: res.statusCode ?? 0,
              ...(res.headers.location ? { location: new URL(res.headers.location, url).href } : {}),
              setCookies,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${target}: no answer`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Follows redirects from `start` until `stop(url)` is true for the next location (not requested), or no redirect. */
  async follow(start: string, stop: (url: string) => boolean = () => false, maxHops = 15): Promise<Hop> {
    let hop = await this.request('GET', start);
    for (let i = 0; i < maxHops && hop.location && !stop(hop.location); i++) {
      hop = await this.request('GET', hop.location);
    }
    return hop;
  }
}

/** The first form's action (resolved against the page URL). */
export function formAction(hop: Hop, index = 0): string {
  const actions = [...hop.text.matchAll(/<form[^>]*action="([^"]+)"/g)].map((m) => m[1]!);
  const action = actions[index];
  if (!action) throw new Error(`no form #${index} on ${hop.url}: ${hop.text.slice(0, 300)}`);
  return new URL(action.replace(/&amp;/g, '&'), hop.url).href;
}
