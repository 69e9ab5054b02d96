import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';

/** Headless Debian Chromium, as this machine and CI have it (browser downloads are not possible). */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run "apt-get install -y chromium" to run the demo page tests`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Opens the protocol console (`/console`) of the server at `url` and waits until it is connected. */
export async function openDemo(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
  await page.goto(`${url}/console`);
  await page.locator('#status', { hasText: 'connected' }).waitFor();
  return page;
}

/** Subscribes the page to a channel through its form. */
export async function subscribe(page: Page, channel: string): Promise<void> {
  await page.fill('#channel', channel);
  await page.click('#subscribe');
  await page.locator('#messages li', { hasText: 'subscribed to' }).waitFor();
}

/** Publishes text from one page and waits until the other page shows it. */
export async function expectCrossing(from: Page, to: Page, text: string): Promise<void> {
  await from.fill('#text', text);
  await from.press('#text', 'Enter');
  await to.locator('#messages li.message', { hasText: text }).waitFor();
  expect(await to.locator('#messages li.message', { hasText: text }).count()).toBe(1);
}
