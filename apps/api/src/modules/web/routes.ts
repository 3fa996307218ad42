import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { StaticRoot, type StaticFile } from './static-files.js';

// Serves the built web app (apps/web/dist) when WEB_DIST is set, until the router takes this
// over. Hashed files under /assets/ never change, so browsers keep them for a year; index.html
// names the current hashes, so it is revalidated on every visit (no-cache, with an ETag).

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

// The app only talks to its own origin; a strict policy also limits what injected script
// could do with the refresh token in sessionStorage (see apps/web/README.md).
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths the SPA never owns: an unknown one there is a JSON 404, not the app's HTML. */
const NOT_SPA = /^\/(api|health|metrics|version)(\/|$)/;

export function webModule(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const dist = ctx.config.WEB_DIST;
    if (!dist) return;
    if (!existsSync(join(dist, 'index.html'))) {
      throw new Error(`WEB_DIST: ${dist} has no index.html; build the web app with \`npm run build:web\``);
    }
    const files = new StaticRoot(dist);

    const send = async (req: FastifyRequest, reply: FastifyReply, file: StaticFile, cacheControl: string) => {
      reply.header('cache-control', cacheControl).header('etag', file.etag).header('x-content-type-options', 'nosniff');
      if (files.isCompressible(file)) reply.header('vary', 'accept-encoding');
      if (file.type.startsWith('text/html')) {
        reply.header('content-security-policy', CSP).header('referrer-policy', 'same-origin').header('x-frame-options', 'DENY');
      }
      if (req.headers['if-none-match'] === file.etag) return reply.status(304).send();
      reply.type(file.type);
      const body = await files.body(file, /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')));
      if (body.kind === 'gzip') return reply.header('content-encoding', 'gzip').header('content-length', body.data.length).send(body.data);
      return reply.header('content-length', body.length).send(body.stream);
    };

    app.get('/assets/*', async (req, reply) => {
      const file = await files.lookup(req.url.split('?')[0]!);
      // A missing hashed asset is a 404, never index.html: a stale page must not get HTML as JS.
      if (!file) return reply.callNotFound();
      return send(req, reply, file, IMMUTABLE);
    });

    app.get('/*', async (req, reply) => {
      const path = req.url.split('?')[0]!;
      if (NOT_SPA.test(path)) return reply.callNotFound();
      const file = path === '/' ? null : await files.lookup(path);
      if (file) return send(req, reply, file, REVALIDATE);
      // A path that names a file (has an extension) and does not exist is a real 404.
      if (/\.[A-Za-z0-9]+$/.test(path)) return reply.callNotFound();
      const index = await files.lookup('/index.html');
      if (!index) return reply.callNotFound();
      return send(req, reply, index, REVALIDATE);
    });
  };
}
