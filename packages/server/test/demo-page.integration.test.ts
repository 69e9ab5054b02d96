import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './support/test-server.js';

const CHROMIUM = '/usr/bin/chromium';
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run "apt-get install -y chromium" to run the demo page test`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
});

async function openDemo(url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
  await page.goto(url);
  await page.locator('#status', { hasText: 'connected' }).waitFor();
  return page;
}

async function subscribe(page: Page, channel: string): Promise<void> {
  await page.fill('#channel', channel);
  await page.click('#subscribe');
  await page.locator('#messages li', { hasText: 'subscribed to' }).waitFor();
}

describe('the demo page', () => {
  it('lets two tabs on one channel see each other\'s messages', async () => {
    const server = await startTestServer({ config: { instanceId: 'demo-instance' } });
    const alice = await openDemo(server.url);
    const bob = await openDemo(server.url);
    await expect.poll(() => alice.textContent('#instance')).toBe('demo-instance');
    await subscribe(alice, 'game:7');
    await subscribe(bob, 'game:7');

    await alice.fill('#text', 'hello from alice');
    await alice.click('#publish');
    await bob.locator('#messages li.message', { hasText: 'hello from alice' }).waitFor();
    await bob.fill('#text', 'hi alice');
    await bob.press('#text', 'Enter');
    await alice.locator('#messages li.message', { hasText: 'hi alice' }).waitFor();

    expect(await bob.locator('#messages li.message').allTextContents()).toEqual([
      expect.stringContaining('hello from alice'),
      expect.stringContaining('hi alice'),
    ]);
    await alice.screenshot({ path: '/tmp/demo-page.png' });
  }, 60_000);
});
