import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, openPage, withArtifacts } from './support/browser.js';
import { goTo, nickname, signUp, waitForLobby } from './support/player.js';
import { startStack, type Stack } from './support/stack.js';

// How the production build is served (cache headers, version stamp, SPA fallback) and how it
// holds up on a 360 px phone screen.

const IMMUTABLE = 'public, max-age=31536000, immutable';

function assetPaths(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
}

describe('serving the web build', () => {
  let stack: Stack;
  let browser: Browser;

  before(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  test('index.html is revalidated, carries the version, and names hashed assets served as immutable', async () => {
    const res = await fetch(`${stack.url}/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const etag = res.headers.get('etag');
    assert.ok(etag);
    const html = await res.text();
    const meta = html.match(/<meta name="cc-version" content="([^"]*)"/);
    assert.equal(meta?.[1], stack.webVersion);

    const again = await fetch(`${stack.url}/`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);

    const assets = assetPaths(html);
    assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), `index.html names its JS and CSS: ${assets.join(', ')}`);
    for (const path of assets) {
      assert.match(path, /^\/assets\/[\w-]+-[\w-]{8,}\.(js|css)$/, 'asset names carry a content hash');
      const a = await fetch(`${stack.url}${path}`);
      assert.equal(a.status, 200, path);
      assert.equal(a.headers.get('cache-control'), IMMUTABLE, path);
      assert.match(a.headers.get('content-type') ?? '', path.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      assert.ok((await a.arrayBuffer()).byteLength > 0);
    }

    // Compressed when the client asks (undici's fetch would decode it; read the raw bytes).
    const js = assets.find((a) => a.endsWith('.js'))!;
    const raw = await import('node:http').then(
      (http) =>
        new Promise<{ encoding: string | undefined; body: Buffer }>((done, fail) => {
          http
            .get(`${stack.url}${js}`, { headers: { 'accept-encoding': 'gzip' } }, (r) => {
              const chunks: Buffer[] = [];
              r.on('data', (c: Buffer) => chunks.push(c));
              r.on('end', () => done({ encoding: r.headers['content-encoding'], body: Buffer.concat(chunks) }));
            })
            .on('error', fail);
        }),
    );
    assert.equal(raw.encoding, 'gzip');
    const plain = Buffer.from(await (await fetch(`${stack.url}${js}`, { headers: { 'accept-encoding': 'identity' } })).arrayBuffer());
    assert.deepEqual(gunzipSync(raw.body), plain);
    assert.ok(!plain.toString().includes('react-devtools'), 'a production build of React is served');
  });

  test('client routes get the app, while unknown files and API paths get a JSON 404', async () => {
    for (const path of ['/wallet', '/games/slots', '/login?next=1']) {
      const res = await fetch(`${stack.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('cache-control'), 'no-cache', path);
      assert.match(await res.text(), /<meta name="cc-version"/, path);
    }
    for (const path of ['/assets/index-deadbeef.js', '/missing.png', '/api/nope', '/health/nope', '/assets/..%2f..%2fpackage.json', '/..%2f..%2fpackage.json']) {
      const res = await fetch(`${stack.url}${path}`);
      assert.equal(res.status, 404, path);
      const body = (await res.json()) as { error?: { code?: string } };
      assert.equal(body.error?.code, 'not_found', path);
    }
    // The API's own routes still win over the app.
    const v = await fetch(`${stack.url}/version`);
    assert.equal(((await v.json()) as { version: string }).version, 'e2e-api');
  });

  test('the footer shows the web and API versions, and 360 px has no horizontal overflow or layout shift', async () => {
    const traced = await openPage(browser, { width: 360, height: 740 });
    const { page } = traced;
    await withArtifacts('serving-360', traced, async () => {
      // Layout shifts are recorded from the first paint on.
      await page.addInitScript(() => {
        const w = window as unknown as { __cls: number };
        w.__cls = 0;
        new PerformanceObserver((list) => {
          for (const e of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) {
            if (!e.hadRecentInput) w.__cls += e.value;
          }
        }).observe({ type: 'layout-shift', buffered: true });
      });
      // The page's width, or more if anything (the page, a table) scrolls sideways.
      const overflow = () =>
        page.evaluate(() => {
          const root = document.documentElement;
          let width = Math.max(root.scrollWidth, root.scrollWidth > root.clientWidth ? 10_000 : 0);
          for (const el of Array.from(document.querySelectorAll<HTMLElement>('.table-wrap'))) {
            if (el.scrollWidth > el.clientWidth) width = Math.max(width, 10_000);
          }
          return width;
        });
      const cls = () => page.evaluate(() => (window as unknown as { __cls: number }).__cls);

      await page.goto(`${stack.url}/login`);
      await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
      await page.getByTestId('api-version').getByText('e2e-api').waitFor();
      assert.equal(await page.getByTestId('web-version').textContent(), stack.webVersion);
      assert.equal(await page.locator('meta[name="cc-version"]').getAttribute('content'), stack.webVersion);
      assert.ok((await overflow()) <= 360, `login page is ${await overflow()} px wide`);

      await signUp(page, stack.url, { inviteCode: await stack.api.createInvite(), nickname: nickname('narrow') });
      await waitForLobby(page);
      await page.getByTestId('lobby-leaders').locator('li').first().waitFor();
      await page.reload();
      await waitForLobby(page);
      await page.getByTestId('lobby-leaders').locator('li').first().waitFor();
      assert.ok((await overflow()) <= 360, `lobby is ${await overflow()} px wide`);
      assert.ok((await cls()) < 0.1, `lobby load shifted the layout by ${await cls()} (CLS)`);

      for (const [link, heading] of [
        ['Slots', 'Slots'],
        ['Rock Paper Scissors', 'Rock Paper Scissors'],
        ['Gacha', 'Gacha'],
        ['Wallet', 'Wallet history'],
        ['Leaderboard', 'Leaderboard'],
      ] as const) {
        await goTo(page, link, heading);
        await page.waitForLoadState('networkidle');
        assert.ok((await overflow()) <= 360, `${heading} is ${await overflow()} px wide at 360 px`);
      }
    });
    await traced.context.close();
  });

  test('the app is usable from the keyboard, with a visible focus ring', async () => {
    const traced = await openPage(browser);
    const { page } = traced;
    await withArtifacts('serving-keyboard', traced, async () => {
      await page.goto(`${stack.url}/signup`);
      await page.getByRole('heading', { level: 1, name: 'Sign up' }).waitFor();
      const invite = await stack.api.createInvite();
      const nick = nickname('keys');
      const focused = () =>
        page.evaluate(() => {
          const el = document.activeElement as HTMLElement;
          const label = (el as HTMLInputElement).labels?.[0]?.textContent ?? el.textContent ?? '';
          const style = getComputedStyle(el);
          return { label: label.trim(), outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
        });
      // Tab from the top: skip link, brand, then the form's fields in order.
      const reached: string[] = [];
      for (let i = 0; i < 8 && !reached.includes('Password'); i++) {
        await page.keyboard.press('Tab');
        const f = await focused();
        reached.push(f.label);
        assert.notEqual(f.outline, 'none', `focus on "${f.label}" is visible`);
        assert.ok(f.width >= 2, `focus ring on "${f.label}" is at least 2 px`);
        if (f.label === 'Invite code') await page.keyboard.type(invite);
        if (f.label === 'Nickname') await page.keyboard.type(nick);
        if (f.label === 'Password') await page.keyboard.type('correct-horse-battery');
      }
      assert.deepEqual(reached.slice(-3), ['Invite code', 'Nickname', 'Password']);
      await page.keyboard.press('Enter');
      await waitForLobby(page);
      // The claim button works from the keyboard too.
      await page.getByRole('button', { name: 'Claim daily reward' }).focus();
      await page.keyboard.press('Enter');
      await page.getByTestId('reward-result').getByText(/You received/).waitFor();
    });
    await traced.context.close();
  });
});
