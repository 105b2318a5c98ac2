// Where the browser goes after signing in: only a path on this server. Anything that could leave the origin
// (`//host`, `/\host`, `https://…`, control characters) falls back to `/`.
const MAX_LENGTH = 2048;
const BASE = 'http://butler.invalid';

export function safeReturnTo(raw: unknown): string {
  if (typeof raw !== 'string' || raw === '' || raw.length > MAX_LENGTH) return '/';
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return '/';
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return '/';
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return '/';
  }
  if (url.origin !== BASE || url.pathname.startsWith('//')) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}
