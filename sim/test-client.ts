// Small HTTP helpers for the simulator's own tests: JSON requests and line-by-line watch streams.
import http from 'node:http';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: any;
}

export function request(
  baseUrl: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
  extraHeaders: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, baseUrl);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string> = { Accept: 'application/json', ...extraHeaders };
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    if (payload !== undefined) headers['Content-Type'] = contentType;
    const req = http.request(url, { method, headers, timeout: 10_000, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: any;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout ${method} ${path}`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export interface Watch {
  status: number;
  headers: http.IncomingHttpHeaders;
  events: { type: string; object: any }[];
  /** Resolves when at least n events arrived; rejects after timeoutMs. */
  waitFor(n: number, timeoutMs?: number): Promise<{ type: string; object: any }[]>;
  ended: Promise<void>;
  close(): void;
}

export function watch(baseUrl: string, token: string, path: string): Promise<Watch> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, baseUrl), { headers: { Authorization: `Bearer ${token}` } }, (res) => {
      const events: { type: string; object: any }[] = [];
      const waiters: (() => void)[] = [];
      let buf = '';
      let endResolve!: () => void;
      const ended = new Promise<void>((r) => (endResolve = r));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim()) events.push(JSON.parse(line));
        }
        for (const w of waiters.splice(0)) w();
      });
      res.on('end', () => endResolve());
      res.on('close', () => endResolve());
      const w: Watch = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        ended,
        close: () => req.destroy(),
        waitFor: (n, timeoutMs = 3000) =>
          new Promise((ok, fail) => {
            const deadline = setTimeout(
              () =>
                fail(
                  new Error(`expected ${n} events, got ${events.length}: ${JSON.stringify(events.map((e) => e.type))}`),
                ),
              timeoutMs,
            );
            const check = () => {
              if (events.length >= n) {
                clearTimeout(deadline);
                ok(events.slice());
              } else waiters.push(check);
            };
            check();
          }),
      };
      resolve(w);
    });
    req.on('error', reject);
    req.end();
  });
}
