import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openPage, withArtifacts } from './support/browser.js';
import { nickname, signUp, waitForLobby } from './support/player.js';
import { startStack, type Stack } from './support/stack.js';

// axe-core on every page of the app, as a visitor and as a player, at phone and desktop
// widths: no serious or critical violation (WCAG 2.1 A/AA rules and axe's best practices).

async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
}

const VISITOR_PAGES = [
  ['/login', 'Log in'],
  ['/signup', 'Sign up'],
] as const;
const PLAYER_PAGES = [
  ['/', 'Lobby'],
  ['/games/slots', 'Slots'],
  ['/games/rps', 'Rock Paper Scissors'],
  ['/games/gacha', 'Gacha'],
  ['/wallet', 'Wallet history'],
  ['/leaderboard', 'Leaderboard'],
  ['/no-such-page', 'Page not found'],
] as const;

describe('accessibility (axe-core in chromium)', () => {
  let stack: Stack;
  let browser: Browser;
  before(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  for (const width of [360, 1280]) {
    test(`every page at ${width} px has no serious or critical violation`, async () => {
      const traced = await openPage(browser, { width, height: 800 });
      const { page } = traced;
      const found: string[] = [];
      await withArtifacts(`a11y-${width}`, traced, async () => {
        for (const [path, heading] of VISITOR_PAGES) {
          await page.goto(`${stack.url}${path}`);
          await page.getByRole('heading', { level: 1, name: heading }).waitFor();
          found.push(...(await violations(page)).map((v) => `${path}: ${v}`));
        }
        await signUp(page, stack.url, { inviteCode: await stack.api.createInvite(), nickname: nickname('a11y') });
        await waitForLobby(page);
        for (const [path, heading] of PLAYER_PAGES) {
          await page.goto(`${stack.url}${path}`);
          await page.getByRole('heading', { level: 1, name: heading }).waitFor();
          // Let the data the page loads arrive, so the checked page is the one players see.
          await page.waitForLoadState('networkidle');
          found.push(...(await violations(page)).map((v) => `${path}: ${v}`));
        }
        assert.deepEqual(found, []);
        // The check can fail: an image without alt text is a critical violation axe reports.
        await page.evaluate(() => document.querySelector('main')?.append(Object.assign(document.createElement('img'), { src: '/favicon.ico' })));
        assert.ok((await violations(page)).some((v) => v.includes('image-alt')), 'axe reports a planted violation');
      });
    });
  }
});
