// Production build of the CC Webapp. Vite already names assets by content hash; this config
// adds the version stamp (index.html's meta tag, which the footer reads) and a dev proxy so
// `npm run dev -w @cc/web` talks to a locally running API.
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { WEB_ROOT, resolveWebVersion } from './tools/version.js';

const version = resolveWebVersion();

function versionStamp(): Plugin {
  return {
    name: 'cc-version-stamp',
    transformIndexHtml: (html) => html.replaceAll('%CC_VERSION%', version),
  };
}

const apiTarget = process.env['CC_API_URL'] ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: WEB_ROOT,
  plugins: [react(), versionStamp()],
  build: {
    outDir: process.env['CC_WEB_OUT_DIR'] ?? resolve(WEB_ROOT, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    // Everything goes under /assets/ with a content hash, which the server caches as immutable.
    assetsDir: 'assets',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/api': apiTarget, '/health': apiTarget, '/version': apiTarget },
  },
});
