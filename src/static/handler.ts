// Static console files and the SPA fallback (docs/api.md §7). Used as the app's not-found handler for paths outside /api and /ws.

import { createReadStream, realpathSync } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/types.js';
import { HttpError, notFound } from '../http/errors.js';
import { sendHttpError } from '../http/error-handler.js';
import { requestPath } from '../http/api-fallback.js';
import { builtinPage } from './builtin-page.js';
import { contentTypeFor } from './content-types.js';
import { decodeRequestPath, resolveFile, type ResolvedFile } from './resolve-path.js';
import { setSecurityHeaders } from './security-headers.js';

const CACHE_INDEX = 'no-store';
const CACHE_ASSET = 'public, max-age=31536000, immutable';
const CACHE_OTHER = 'no-cache';

export interface StaticHandler {
  handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
}

export function createStaticHandler(config: Config): StaticHandler {
  const dir = config.staticDir ?? config.builtinConsoleDir;
  const root = dir === undefined ? undefined : realpathSync(dir);
  const fallbackHtml = builtinPage(config);

  return {
    async handle(request, reply) {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return sendHttpError(reply, new HttpError(405, 'method not allowed', undefined, { allow: 'GET, HEAD' }));
      }
      const decoded = decodeRequestPath(requestPath(request));
      const isAsset = decoded !== undefined && (decoded === '/assets' || decoded.startsWith('/assets/'));
      const file = root !== undefined && decoded !== undefined ? await resolveFile(root, decoded) : undefined;
      if (file) {
        const isIndex = decoded === '/index.html';
        return sendFile(
          request,
          reply,
          file,
          isIndex ? CACHE_INDEX : isAsset ? CACHE_ASSET : CACHE_OTHER,
          config.http.csp,
        );
      }
      if (isAsset) {
        setSecurityHeaders(request, reply, false);
        return sendHttpError(reply, notFound('asset not found'));
      }
      if (root === undefined) {
        setSecurityHeaders(request, reply, true, config.http.csp);
        reply.header('cache-control', CACHE_INDEX).type('text/html; charset=utf-8');
        return reply.code(200).send(request.method === 'HEAD' ? undefined : fallbackHtml);
      }
      const index = await resolveFile(root, '/index.html');
      if (!index) {
        setSecurityHeaders(request, reply, false);
        return sendHttpError(reply, notFound('index.html not found in the static directory'));
      }
      return sendFile(request, reply, index, CACHE_INDEX, config.http.csp);
    },
  };
}

async function sendFile(
  request: FastifyRequest,
  reply: FastifyReply,
  file: ResolvedFile,
  cacheControl: string,
  csp: string | undefined,
): Promise<FastifyReply> {
  const type = contentTypeFor(file.path);
  const isHtml = type.startsWith('text/html');
  setSecurityHeaders(request, reply, isHtml, csp);
  reply.header('cache-control', cacheControl);
  reply.header('content-type', type);

  const variant = await precompressedVariant(file, request.headers['accept-encoding']);
  if (variant.hasSiblings) reply.header('vary', 'Accept-Encoding');
  const served = variant.file ?? file;
  const etag = `W/"${served.stats.size.toString(16)}-${Math.floor(served.stats.mtimeMs).toString(16)}${variant.encoding ? `-${variant.encoding}` : ''}"`;
  reply.header('etag', etag);
  reply.header('last-modified', file.stats.mtime.toUTCString());
  if (variant.encoding) reply.header('content-encoding', variant.encoding);

  if (isNotModified(request, etag, file.stats.mtime)) return reply.code(304).send();

  reply.header('content-length', String(served.stats.size));
  if (request.method === 'HEAD') return reply.code(200).send();
  return reply.code(200).send(createReadStream(served.path));
}

const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;

async function precompressedVariant(
  file: ResolvedFile,
  acceptEncoding: string | undefined,
): Promise<{ file?: ResolvedFile; encoding?: string; hasSiblings: boolean }> {
  if (file.path.endsWith('.br') || file.path.endsWith('.gz')) return { hasSiblings: false };
  const accepted = parseAcceptEncoding(acceptEncoding);
  let hasSiblings = false;
  let chosen: { file: ResolvedFile; encoding: string } | undefined;
  const dirOf = file.path.slice(0, file.path.lastIndexOf('/'));
  for (const enc of ENCODINGS) {
    // The sibling must itself be a regular file inside the same folder (no symlink out of it).
    const sibling = await resolveFile(dirOf, file.path.slice(dirOf.length) + enc.suffix);
    if (!sibling) continue;
    hasSiblings = true;
    if (!chosen && accepted.has(enc.name)) chosen = { file: sibling, encoding: enc.name };
  }
  return chosen ? { ...chosen, hasSiblings } : { hasSiblings };
}

function parseAcceptEncoding(header: string | undefined): Set<string> {
  const accepted = new Set<string>();
  let wildcard = false;
  const refused = new Set<string>();
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const zero = q !== undefined && Number(q.slice(2)) === 0;
    if (name === '*') wildcard = !zero;
    else if (zero) refused.add(name);
    else accepted.add(name);
  }
  if (wildcard) for (const enc of ENCODINGS) if (!refused.has(enc.name)) accepted.add(enc.name);
  return accepted;
}

function isNotModified(request: FastifyRequest, etag: string, mtime: Date): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  if (typeof ifNoneMatch === 'string') {
    const tags = ifNoneMatch.split(',').map((t) => t.trim().replace(/^W\//, ''));
    return tags.includes('*') || tags.includes(etag.replace(/^W\//, ''));
  }
  const ifModifiedSince = request.headers['if-modified-since'];
  if (typeof ifModifiedSince === 'string') {
    const since = Date.parse(ifModifiedSince);
    return !Number.isNaN(since) && Math.floor(mtime.getTime() / 1000) <= Math.floor(since / 1000);
  }
  return false;
}
