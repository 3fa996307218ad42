import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, openPage, unlabelledControls, withArtifacts } from './support/browser.js';
import { goTo, logIn, nickname, numberAt, PASSWORD, signUp, waitForLobby, waitForNumber } from './support/player.js';
import { balanceOf, startStack, type Stack } from './support/stack.js';

// The player's whole journey in a real browser against the real API and database:
// sign up -> daily reward -> each game -> wallet history -> log out -> log in.

describe('player journey (chromium)', () => {
  let stack: Stack;
  let browser: Browser;

  before(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  test('sign up, claim the daily reward, play each game, see the plays in the wallet, log out and back in', async () => {
    const traced = await openPage(browser);
    const { page } = traced;
    const nick = nickname();
    await withArtifacts('journey', traced, async () => {
      // Anonymous visitors land on the login page.
      await page.goto(`${stack.url}/`);
      await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/login');
      assert.deepEqual(await unlabelledControls(page), []);

      await signUp(page, stack.url, { inviteCode: await stack.api.createInvite(), nickname: nick });
      await waitForLobby(page);
      let balance = await numberAt(page, 'lobby-balance');
      assert.equal(balance, await balanceOf(stack, nick), 'lobby shows the balance the database holds');
      assert.equal(await numberAt(page, 'lobby-streak'), 0);
      assert.deepEqual(await unlabelledControls(page), []);

      // Daily reward: the balance and streak move, and the button cannot be pressed again today.
      await page.getByRole('button', { name: 'Claim daily reward' }).click();
      await page.getByTestId('reward-result').getByText(/You received [\d,]+ coins/).waitFor();
      const reward = Number((await page.getByTestId('reward-result').textContent())!.match(/received ([\d,]+)/)![1]!.replace(/,/g, ''));
      assert.ok(reward > 0);
      assert.equal(await numberAt(page, 'lobby-balance'), balance + reward);
      assert.equal(await numberAt(page, 'lobby-streak'), 1);
      assert.equal(await page.getByRole('button', { name: 'Reward claimed' }).isDisabled(), true);
      balance += reward;
      assert.equal(await balanceOf(stack, nick), balance);

      const playIds: string[] = [];
      const readResult = async () => {
        await page.getByTestId('result-balance').waitFor();
        const id = (await page.getByTestId('result-play-id').textContent())!.match(/Play ([0-9a-f]{8})/)![1]!;
        playIds.push(id);
        return { bet: await numberAt(page, 'result-bet'), payout: await numberAt(page, 'result-payout'), balance: await numberAt(page, 'result-balance') };
      };

      // Slots: odds published, result explained, balance consistent everywhere.
      await goTo(page, 'Slots', 'Slots');
      await page.getByTestId('odds-rtp').getByText(/Return to player: [\d.]+%/).waitFor();
      assert.ok((await page.getByRole('table').getByRole('row').count()) > 3, 'slots paytable is shown');
      await page.getByLabel('Bet (coins)').fill('10');
      await page.getByRole('button', { name: 'Spin' }).click();
      let r = await readResult();
      assert.equal(r.bet, 10);
      assert.equal(r.balance, balance - 10 + r.payout);
      assert.equal(await numberAt(page, 'header-balance'), r.balance);
      balance = r.balance;
      assert.deepEqual(await unlabelledControls(page), []);

      // Rock paper scissors.
      await goTo(page, 'Rock Paper Scissors', 'Rock Paper Scissors');
      await page.getByTestId('odds-rtp').getByText(/Return to player/).waitFor();
      await page.getByLabel('Paper').check();
      await page.getByLabel('Bet (coins)').fill('5');
      await page.getByRole('button', { name: 'Play' }).click();
      r = await readResult();
      const moves = (await page.getByTestId('rps-moves').textContent())!;
      assert.match(moves, /You played Paper; the house played (Rock|Paper|Scissors)\./);
      const house = moves.match(/house played (\w+)/)![1];
      assert.equal(r.payout, house === 'Rock' ? 10 : house === 'Paper' ? 5 : 0, `paper vs ${house}`);
      assert.equal(r.balance, balance - 5 + r.payout);
      balance = r.balance;
      assert.deepEqual(await unlabelledControls(page), []);

      // Gacha: a single pull costs its published price and returns one item.
      await goTo(page, 'Gacha', 'Gacha');
      await page.getByTestId('odds-rtp').getByText(/no return to player/).waitFor();
      await page.getByLabel(/^1 pull/).check();
      await page.getByRole('button', { name: 'Pull once' }).click();
      r = await readResult();
      assert.equal(r.bet, 100);
      assert.equal(await page.getByTestId('gacha-items').getByRole('listitem').count(), 1);
      assert.equal(r.balance, balance - 100);
      balance = r.balance;
      assert.equal(await balanceOf(stack, nick), balance);
      assert.deepEqual(await unlabelledControls(page), []);

      // Wallet: every play is there under the id the game page showed; the newest row's
      // balance is the current balance.
      await goTo(page, 'Wallet', 'Wallet history');
      await page.getByTestId('ledger').locator('tbody tr[data-kind]').first().waitFor();
      const ledgerText = (await page.getByTestId('ledger').textContent())!;
      for (const id of playIds) assert.ok(ledgerText.includes(`play ${id}`), `wallet lists play ${id}`);
      assert.ok(ledgerText.includes('Daily reward') && ledgerText.includes('Welcome bonus'));
      const firstRowBalance = (await page.getByTestId('ledger').locator('tbody tr').first().locator('td').nth(2).textContent())!;
      assert.equal(Number(firstRowBalance.replace(/,/g, '')), balance);

      // Leaderboard: today's and all-time boards both answer.
      await goTo(page, 'Leaderboard', 'Leaderboard');
      await page.getByRole('button', { name: 'All time' }).click();
      assert.equal(await page.getByRole('button', { name: 'All time' }).getAttribute('aria-pressed'), 'true');
      await page.getByTestId('leaderboard').locator('tbody tr').first().waitFor();

      // Log out: back to the login page, and nothing of the session is left in the tab.
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByTestId('login-notice').getByText('You have logged out').waitFor();
      assert.equal(new URL(page.url()).pathname, '/login');
      assert.equal(await page.evaluate(() => sessionStorage.length), 0);

      // Log in again: same account, same balance.
      await logIn(page, { nickname: nick });
      await waitForLobby(page);
      assert.equal(await numberAt(page, 'lobby-balance'), balance);
      // A reload keeps the session (the refresh token survives in this tab).
      await page.reload();
      await waitForLobby(page);
      assert.equal(await numberAt(page, 'header-balance'), balance);
      assert.deepEqual(traced.log.filter((l) => l.startsWith('[pageerror]')), []);
    });
    await traced.context.close();
  });

  test('a bad invite code is explained in plain words', async () => {
    const traced = await openPage(browser);
    const { page } = traced;
    await withArtifacts('bad-invite', traced, async () => {
      await signUp(page, stack.url, { inviteCode: 'NOT-A-REAL-CODE', nickname: nickname() });
      const alert = page.getByRole('alert').filter({ hasText: /\w/ });
      await alert.waitFor();
      const text = (await alert.textContent())!;
      assert.equal(text, 'That invite code is not valid. It may be mistyped, already used or expired.');
      assert.ok(!text.includes('{') && !text.includes('invalid_invite'), 'no raw JSON or codes');
      assert.equal(new URL(page.url()).pathname, '/signup');
      assert.equal(await page.getByRole('button', { name: 'Create account' }).isEnabled(), true);
    });
    await traced.context.close();
  });

  test('a taken nickname and a wrong password are explained in plain words', async () => {
    const traced = await openPage(browser);
    const { page } = traced;
    const taken = await stack.api.signup();
    await withArtifacts('taken-nickname', traced, async () => {
      await signUp(page, stack.url, { inviteCode: await stack.api.createInvite(), nickname: taken.user.nickname });
      await page.getByRole('alert').getByText('That nickname is already taken. Please choose another one.').waitFor();
      await page.getByRole('link', { name: 'Log in' }).click();
      await logIn(page, { nickname: taken.user.nickname, password: `${PASSWORD}-wrong` });
      await page.getByRole('alert').getByText('That nickname and password do not match. Check them and try again.').waitFor();
    });
    await traced.context.close();
  });

  test('a double click plays once, and every click sends its own Idempotency-Key', async () => {
    const traced = await openPage(browser);
    const { page } = traced;
    const nick = nickname();
    await withArtifacts('double-click', traced, async () => {
      await signUp(page, stack.url, { inviteCode: await stack.api.createInvite(), nickname: nick });
      await waitForLobby(page);
      const keys: string[] = [];
      page.on('request', (req) => {
        if (req.url().endsWith('/api/games/slots/spin')) keys.push(req.headers()['idempotency-key'] ?? '');
      });
      await goTo(page, 'Slots', 'Slots');
      await page.getByLabel('Bet (coins)').fill('7');
      await page.getByRole('button', { name: 'Spin' }).dblclick();
      await page.getByTestId('result-balance').waitFor();
      await page.getByRole('button', { name: 'Spin' }).click();
      await page.waitForFunction(() => !document.querySelector('button[type=submit]')?.hasAttribute('disabled'));
      await page.waitForFunction(() => document.querySelector('[data-testid=result-play-id]') !== null);
      const plays = await stack.api.server.ctx.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM plays p JOIN users u ON u.id = p.user_id WHERE u.nickname = $1',
        [nick],
      );
      assert.equal(plays.rows[0]!.n, 2, 'the double click played once, the second click once more');
      assert.equal(keys.length, 2);
      assert.notEqual(keys[0], keys[1]);
      for (const k of keys) assert.match(k, /^[0-9a-f-]{36}$/);
      assert.equal(await numberAt(page, 'header-balance'), await balanceOf(stack, nick));
    });
    await traced.context.close();
  });

  test('not enough coins is explained, and the balance is untouched', async () => {
    const traced = await openPage(browser);
    const { page } = traced;
    const nick = nickname();
    await withArtifacts('insufficient-funds', traced, async () => {
      await signUp(page, stack.url, { inviteCode: await stack.api.createInvite(), nickname: nick });
      await waitForLobby(page);
      await goTo(page, 'Gacha', 'Gacha');
      await page.getByLabel(/^10 pulls/).check();
      await page.getByRole('button', { name: 'Pull 10 times' }).click();
      await page.getByTestId('gacha-items').waitFor();
      const before = await balanceOf(stack, nick);
      assert.ok(before < 900, 'the first 10-pull leaves less than another one costs');
      await page.getByRole('button', { name: 'Pull 10 times' }).click();
      await page.getByRole('alert').getByText('You do not have enough coins for that.', { exact: false }).waitFor();
      assert.equal(await balanceOf(stack, nick), before);
      assert.equal(await waitForNumber(page, 'header-balance'), before);
    });
    await traced.context.close();
  });
});
