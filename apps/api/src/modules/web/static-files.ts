import { createReadStream, type ReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';

const gzipAsync = promisify(gzip);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
};

const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.txt', '.svg', '.webmanifest']);
/** Larger text files are streamed as they are rather than held gzipped in memory. */
const GZIP_CACHE_MAX_BYTES = 4 * 1024 * 1024;

export interface StaticFile {
  path: string;
  size: number;
  mtimeMs: number;
  type: string;
  etag: string;
}

export type FileBody = { kind: 'gzip'; data: Buffer } | { kind: 'stream'; stream: ReadStream; length: number };

/**
 * Files of one built web app. Paths are resolved inside the root only (no `..`, no NUL), and
 * gzip output is cached per file version, because assets are immutable and the same few
 * files are asked for on every first visit.
 */
export class StaticRoot {
  readonly root: string;
  private readonly gzipCache = new Map<string, Promise<Buffer>>();

  constructor(dir: string) {
    this.root = resolve(dir);
  }

  /** The file at a URL path, or null when there is none (or the path tries to leave the root). */
  async lookup(urlPath: string): Promise<StaticFile | null> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return null;
    }
    if (decoded.includes('\0')) return null;
    const path = join(this.root, decoded);
    if (path !== this.root && !path.startsWith(this.root + sep)) return null;
    try {
      const s = await stat(path);
      if (!s.isFile()) return null;
      const type = TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
      return { path, size: s.size, mtimeMs: s.mtimeMs, type, etag: `W/"${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"` };
    } catch {
      return null;
    }
  }

  /** The bytes to send: gzipped from the cache when the client takes gzip, else a stream. */
  async body(file: StaticFile, acceptsGzip: boolean): Promise<FileBody> {
    const compressible = COMPRESSIBLE.has(extname(file.path).toLowerCase()) && file.size <= GZIP_CACHE_MAX_BYTES && file.size > 256;
    if (acceptsGzip && compressible) {
      const key = `${file.path}:${file.etag}`;
      let cached = this.gzipCache.get(key);
      if (!cached) {
        cached = readFile(file.path).then((raw) => gzipAsync(raw, { level: 9 }));
        // A failed read must not stick; the next request tries again.
        cached.catch(() => this.gzipCache.delete(key));
        this.gzipCache.set(key, cached);
      }
      return { kind: 'gzip', data: await cached };
    }
    return { kind: 'stream', stream: createReadStream(file.path), length: file.size };
  }

  isCompressible(file: StaticFile): boolean {
    return COMPRESSIBLE.has(extname(file.path).toLowerCase());
  }
}
