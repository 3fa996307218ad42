// Screenshots of every page at 360 px and desktop width, for reviewing the layout by eye:
//   npx tsx apps/web/tools/screenshots.ts   -> test-results/screens/*.png
// Uses the same real stack as the e2e tests (API on a fresh test database, production build).
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { launchBrowser, openPage } from '../e2e/support/browser.js';
import { goTo, nickname, signUp, waitForLobby } from '../e2e/support/player.js';
import { startStack } from '../e2e/support/stack.js';

const out = resolve(import.meta.dirname, '../../../test-results/screens');
mkdirSync(out, { recursive: true });
const stack = await startStack();
const browser = await launchBrowser();
try {
  for (const width of [360, 1280]) {
    const { page, context } = await openPage(browser, { width, height: width === 360 ? 740 : 900 });
    const shot = (name: string) => page.screenshot({ path: resolve(out, `${name}-${width}.png`), fullPage: true });
    await page.goto(`${stack.url}/login`);
    await page.getByTestId('api-version').getByText(/\w/).waitFor();
    await shot('login');
    await page.goto(`${stack.url}/signup`);
    await page.getByLabel('Invite code').fill('WRONG-CODE');
    await page.getByLabel('Nickname').fill(nickname());
    await page.getByLabel('Password').fill('correct-horse-battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').getByText(/invite/).waitFor();
    await shot('signup-error');
    await signUp(page, stack.url, { inviteCode: await stack.api.createInvite(), nickname: nickname() });
    await waitForLobby(page);
    await page.getByRole('button', { name: 'Claim daily reward' }).click();
    await page.getByTestId('reward-result').getByText(/received/).waitFor();
    await shot('lobby');
    await goTo(page, 'Slots', 'Slots');
    await page.getByRole('button', { name: 'Spin' }).click();
    await page.getByTestId('result-balance').waitFor();
    await shot('slots');
    await goTo(page, 'Rock Paper Scissors', 'Rock Paper Scissors');
    await page.getByRole('button', { name: 'Play' }).click();
    await page.getByTestId('result-balance').waitFor();
    await shot('rps');
    await goTo(page, 'Gacha', 'Gacha');
    await page.getByLabel(/^10 pulls/).check();
    await page.getByRole('button', { name: 'Pull 10 times' }).click();
    await page.getByTestId('gacha-items').waitFor();
    await shot('gacha');
    await goTo(page, 'Wallet', 'Wallet history');
    await page.getByTestId('ledger').locator('tbody tr[data-kind]').first().waitFor();
    await shot('wallet');
    await goTo(page, 'Leaderboard', 'Leaderboard');
    await page.getByTestId('leaderboard').locator('tbody tr').first().waitFor();
    await shot('leaderboard');
    await context.close();
  }
  process.stdout.write(`screenshots in ${out}\n`);
} finally {
  await browser.close();
  await stack.close();
}
