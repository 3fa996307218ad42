import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Browser, Response } from 'playwright-core';
import { launchBrowser, openPage, withArtifacts, type TracedPage } from './support/browser.js';
import { goTo, nickname, numberAt, signUp, waitForLobby } from './support/player.js';
import { balanceOf, startStack, type Stack } from './support/stack.js';

// Real expiry, no test hooks: the API runs with the shortest access-token life its config
// allows (10 s), two players sign up, one of them is logged out from another client, and both
// act again once their access tokens have expired.

const TTL_SECONDS = 10;

describe('sessions (chromium)', () => {
  let stack: Stack;
  let browser: Browser;
  let alice: TracedPage;
  let bob: TracedPage;
  const aliceNick = nickname('alice');
  const bobNick = nickname('bob');

  before(async () => {
    [stack, browser] = await Promise.all([startStack({ env: { ACCESS_TOKEN_TTL_SECONDS: String(TTL_SECONDS) } }), launchBrowser()]);
    [alice, bob] = await Promise.all([openPage(browser), openPage(browser)]);
    const [inviteA, inviteB] = await Promise.all([stack.api.createInvite(), stack.api.createInvite()]);
    await Promise.all([
      withArtifacts('session-setup-alice', alice, async () => {
        await signUp(alice.page, stack.url, { inviteCode: inviteA, nickname: aliceNick });
        await waitForLobby(alice.page);
        await goTo(alice.page, 'Wallet', 'Wallet history');
      }),
      withArtifacts('session-setup-bob', bob, async () => {
        await signUp(bob.page, stack.url, { inviteCode: inviteB, nickname: bobNick });
        await waitForLobby(bob.page);
      }),
    ]);
    // Bob's session is ended elsewhere (say, "log out" on another device holding the same
    // refresh token): the API revokes the whole token family.
    // The refresh token is an httpOnly cookie: script on the page cannot read it.
    const cookie = (await bob.context.cookies()).find((c) => c.name === 'cc_refresh');
    assert.ok(cookie, 'the refresh token is kept in a cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/api/auth');
    assert.equal(await bob.page.evaluate(() => document.cookie.includes('cc_refresh')), false);
    assert.equal(await bob.page.evaluate((v) => JSON.stringify({ ...sessionStorage, ...localStorage }).includes(v), cookie.value), false, 'no copy in web storage');
    const res = await fetch(`${stack.url}/api/auth/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: cookie.value }),
    });
    assert.equal(res.status, 204);
    // Both access tokens were signed before this point; JWT times have one-second resolution.
    await sleep((TTL_SECONDS + 1.5) * 1000);
  });

  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  test('an expired access token is refreshed once, even for parallel requests, without the player noticing', async () => {
    const { page } = alice;
    const refreshes: Response[] = [];
    const refused: string[] = [];
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (path === '/api/auth/refresh') refreshes.push(r);
      else if (r.status() === 401) refused.push(path);
    });
    await withArtifacts('session-refresh', alice, async () => {
      // The lobby asks for /api/me and today's leaders at the same time.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Lobby', exact: true }).click();
      await waitForLobby(page);
      await page.getByTestId('lobby-leaders').locator('li').first().waitFor();
      assert.deepEqual(refused.sort(), ['/api/leaderboard', '/api/me'], 'both parallel requests met the expired token');
      assert.equal(refreshes.length, 1, 'one refresh served both');
      assert.equal(refreshes[0]!.status(), 200);
      assert.equal(new URL(page.url()).pathname, '/');
      assert.equal(await numberAt(page, 'lobby-balance'), await balanceOf(stack, aliceNick));

      // The new access token works for a play, with no further refresh.
      await goTo(page, 'Slots', 'Slots');
      await page.getByLabel('Bet (coins)').fill('3');
      await page.getByRole('button', { name: 'Spin' }).click();
      await page.getByTestId('result-balance').waitFor();
      assert.equal(refreshes.length, 1);
      assert.equal(await numberAt(page, 'header-balance'), await balanceOf(stack, aliceNick));
    });
  });

  test('a revoked session lands on the login page with a message saying so', async () => {
    const { page } = bob;
    await withArtifacts('session-revoked', bob, async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Wallet', exact: true }).click();
      await page.getByTestId('login-notice').getByText('Your session has ended. Please log in again.').waitFor();
      assert.equal(new URL(page.url()).pathname, '/login');
      assert.equal((await bob.context.cookies()).some((c) => c.name === 'cc_refresh'), false, 'the cookie was cleared');
      assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0, 'no player navigation once signed out');
    });
  });

  test('two tabs share one login, and logging out in one ends the other at once', async () => {
    const tab1 = await openPage(browser);
    await withArtifacts('session-two-tabs', tab1, async () => {
      await signUp(tab1.page, stack.url, { inviteCode: await stack.api.createInvite(), nickname: nickname('carol') });
      await waitForLobby(tab1.page);
      const page2 = await tab1.context.newPage();
      await page2.goto(`${stack.url}/wallet`);
      await page2.getByRole('heading', { level: 1, name: 'Wallet history' }).waitFor();
      await tab1.page.getByRole('button', { name: 'Log out' }).click();
      await tab1.page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
      // Tab 2 still holds an access token that has not expired; the server refuses it now.
      await page2.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Lobby', exact: true }).click();
      await page2.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
      assert.equal(new URL(page2.url()).pathname, '/login');
    });
  });
});
