import type { Page } from 'playwright-core';

export const PASSWORD = 'correct-horse-battery';

export function nickname(prefix = 'p'): string {
  return `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
}

/** The number a test id shows, e.g. "1,050" -> 1050. */
export async function numberAt(page: Page, testId: string): Promise<number> {
  const text = (await page.getByTestId(testId).textContent()) ?? '';
  const n = Number(text.replace(/[^\d-]/g, ''));
  if (!/\d/.test(text) || Number.isNaN(n)) throw new Error(`${testId} shows "${text}", not a number`);
  return n;
}

/** Waits until a test id shows a number (the page finished loading it). */
export async function waitForNumber(page: Page, testId: string): Promise<number> {
  await page.waitForFunction((id) => /\d/.test(document.querySelector(`[data-testid="${id}"]`)?.textContent ?? ''), testId);
  return numberAt(page, testId);
}

export async function signUp(page: Page, base: string, o: { inviteCode: string; nickname: string; password?: string }): Promise<void> {
  await page.goto(`${base}/signup`);
  await page.getByLabel('Invite code').fill(o.inviteCode);
  await page.getByLabel('Nickname').fill(o.nickname);
  await page.getByLabel('Password').fill(o.password ?? PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
}

export async function logIn(page: Page, o: { nickname: string; password?: string }): Promise<void> {
  await page.getByLabel('Nickname').fill(o.nickname);
  await page.getByLabel('Password').fill(o.password ?? PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
}

export async function waitForLobby(page: Page): Promise<void> {
  await page.getByRole('heading', { level: 1, name: 'Lobby' }).waitFor();
  await waitForNumber(page, 'lobby-balance');
}

export async function goTo(page: Page, linkName: string, heading: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: linkName, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}
