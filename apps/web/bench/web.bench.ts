// `npm run bench:web`: what a player's browser downloads first, and how fast the lobby is
// usable, measured in Debian's chromium against the production build served by a real API on a
// fresh test database. Benchmarks report; the e2e tests assert. The last line is one JSON object.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../e2e/support/browser.js';
import { startStack } from '../e2e/support/stack.js';
import { ensureCachedBuild } from '../tools/build.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 7);
const GOAL_JS_GZIP_KB = 150;

const kb = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (n: number) => Math.round(n * 10) / 10;

// 1. The build: the files index.html makes the browser fetch before anything renders.
const started = Date.now();
const build = await ensureCachedBuild();
const buildMs = Date.now() - started;
const html = readFileSync(join(build.dist, 'index.html'), 'utf8');
const initialJs = [
  ...[...html.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]!),
  ...[...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => m[1]!),
];
const initialCss = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map((m) => m[1]!);
const sizes = (paths: string[]) =>
  paths.reduce(
    (acc, p) => {
      const buf = readFileSync(join(build.dist, p));
      return { raw: acc.raw + buf.length, gzip: acc.gzip + gzipSync(buf, { level: 9 }).length };
    },
    { raw: 0, gzip: 0 },
  );
const js = sizes(initialJs);
const css = sizes(initialCss);
const assetFiles = readdirSync(join(build.dist, 'assets'));
const assetBytes = assetFiles.reduce((s, f) => s + statSync(join(build.dist, 'assets', f)).size, 0);

console.log(`web build ${build.version} (${build.built ? `built in ${buildMs} ms` : 'reused, inputs unchanged'})`);
console.log(`  initial JS : ${initialJs.join(', ')}  ${kb(js.raw)} KB raw, ${kb(js.gzip)} KB gzip (goal <= ${GOAL_JS_GZIP_KB} KB)`);
console.log(`  initial CSS: ${initialCss.join(', ')}  ${kb(css.raw)} KB raw, ${kb(css.gzip)} KB gzip`);
console.log(`  assets     : ${assetFiles.length} files, ${kb(assetBytes)} KB raw`);

// 2. The lobby, logged in, in Chromium: cold (fresh profile, empty cache) and warm (same
// profile, the immutable assets come from the cache).
const stack = await startStack();
const browser = await launchBrowser();
interface Sample {
  fcp: number;
  tti: number;
  dcl: number;
  transferred: number;
}
const cold: Sample[] = [];
const warm: Sample[] = [];
try {
  const player = await stack.api.signup();
  const measure = async (page: Page): Promise<Sample> => {
    await page.goto(`${stack.url}/`);
    await page.waitForFunction(() => performance.getEntriesByName('cc-lobby-ready').length > 0, undefined, { timeout: 30_000 });
    return page.evaluate(() => {
      const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN;
      const tti = performance.getEntriesByName('cc-lobby-ready')[0]!.startTime;
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const transferred = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).reduce((s, r) => s + r.transferSize, nav.transferSize);
      return { fcp, tti, dcl: nav.domContentLoadedEventEnd, transferred };
    });
  };
  for (let i = 0; i < RUNS; i++) {
    const login = await fetch(`${stack.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nickname: player.user.nickname, password: player.password }),
    });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
    const cookie = /cc_refresh=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1];
    if (!cookie) throw new Error('login set no cc_refresh cookie');
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    // The browser already holds a session, as after a reload: the lobby loads logged in.
    await context.addCookies([{ name: 'cc_refresh', value: cookie, url: `${stack.url}/api/auth`, httpOnly: true, sameSite: 'Strict' }]);
    await context.addInitScript(() => localStorage.setItem('cc.session', '1'));
    const page = await context.newPage();
    cold.push(await measure(page));
    warm.push(await measure(page));
    await context.close();
  }
} finally {
  await browser.close();
  await stack.close();
}

const pick = (xs: Sample[], k: keyof Sample) => round(median(xs.map((s) => s[k])));
const result = {
  bench: 'web',
  web_version: build.version,
  initial_js_gzip_kb: kb(js.gzip),
  initial_js_raw_kb: kb(js.raw),
  initial_css_gzip_kb: kb(css.gzip),
  initial_css_raw_kb: kb(css.raw),
  initial_js_files: initialJs.length,
  asset_count: assetFiles.length,
  assets_raw_kb: kb(assetBytes),
  goal_initial_js_gzip_kb: GOAL_JS_GZIP_KB,
  goal_met: kb(js.gzip) <= GOAL_JS_GZIP_KB,
  runs: RUNS,
  viewport: '360x740',
  lobby_cold_fcp_ms: pick(cold, 'fcp'),
  lobby_cold_tti_ms: pick(cold, 'tti'),
  lobby_cold_dcl_ms: pick(cold, 'dcl'),
  lobby_cold_transfer_kb: kb(median(cold.map((s) => s.transferred))),
  lobby_warm_fcp_ms: pick(warm, 'fcp'),
  lobby_warm_tti_ms: pick(warm, 'tti'),
  lobby_warm_transfer_kb: kb(median(warm.map((s) => s.transferred))),
  warm_vs_cold_tti: Number((median(warm.map((s) => s.tti)) / median(cold.map((s) => s.tti))).toFixed(2)),
  tti_vs_fcp_cold: Number((median(cold.map((s) => s.tti)) / median(cold.map((s) => s.fcp))).toFixed(2)),
};
console.log('');
console.log(`lobby (logged in, 360x740, median of ${RUNS}):`);
console.log(`  cold: first contentful paint ${result.lobby_cold_fcp_ms} ms, interactive ${result.lobby_cold_tti_ms} ms, ${result.lobby_cold_transfer_kb} KB transferred`);
console.log(`  warm: first contentful paint ${result.lobby_warm_fcp_ms} ms, interactive ${result.lobby_warm_tti_ms} ms, ${result.lobby_warm_transfer_kb} KB transferred`);
console.log(`  "interactive" = the lobby's data is shown and its buttons work (performance mark cc-lobby-ready)`);
console.log(JSON.stringify(result));
