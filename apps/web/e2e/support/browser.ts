// Debian's chromium driven by playwright-core (Playwright's own browser download does not work
// on these machines). Each launch gets a fresh temporary profile from Playwright.
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const RESULTS_DIR = resolve(import.meta.dirname, '../../../../test-results/web-e2e');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

export interface TracedPage {
  context: BrowserContext;
  page: Page;
  /** Console messages, page errors and failed requests, in order. */
  log: string[];
}

export async function openPage(browser: Browser, opts: { width?: number; height?: number } = {}): Promise<TracedPage> {
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const log: string[] = [];
  page.on('console', (m) => log.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  page.on('requestfailed', (r) => log.push(`[requestfailed] ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) log.push(`[http ${r.status()}] ${r.request().method()} ${r.url()}`);
  });
  return { context, page, log };
}

/** Runs a test step; on failure keeps a screenshot and the page's log under test-results/. */
export async function withArtifacts(name: string, traced: TracedPage, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const safe = name.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 80);
    mkdirSync(RESULTS_DIR, { recursive: true });
    const shot = resolve(RESULTS_DIR, `${safe}.png`);
    await traced.page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
    writeFileSync(resolve(RESULTS_DIR, `${safe}.console.log`), `${traced.page.url()}\n${traced.log.join('\n')}\n`);
    throw err;
  }
}

/** Every input, select and button on the page has an accessible name. Returns the ones without. */
export function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const bad: string[] = [];
    for (const el of Array.from(document.querySelectorAll('input, select, textarea, button'))) {
      const input = el as HTMLInputElement;
      const named =
        (input.labels && input.labels.length > 0) ||
        el.getAttribute('aria-label') ||
        el.getAttribute('aria-labelledby') ||
        (el.tagName === 'BUTTON' && el.textContent?.trim());
      if (!named) bad.push(el.outerHTML.slice(0, 120));
    }
    return bad;
  });
}
