import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCrossing, launchBrowser, openDemo, subscribe } from './support/demo-browser.js';
import { startTestServer } from './support/test-server.js';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('the demo page', () => {
  it('lets two tabs on one channel see each other\'s messages', async () => {
    const server = await startTestServer({ config: { instanceId: 'demo-instance' } });
    const alice = await openDemo(browser, server.url);
    const bob = await openDemo(browser, server.url);
    await expect.poll(() => alice.textContent('#instance')).toBe('demo-instance');
    await subscribe(alice, 'game:7');
    await subscribe(bob, 'game:7');

    await expectCrossing(alice, bob, 'hello from alice');
    await expectCrossing(bob, alice, 'hi alice');

    expect(await bob.locator('#messages li.message').allTextContents()).toEqual([
      expect.stringContaining('hello from alice'),
      expect.stringContaining('hi alice'),
    ]);
    await alice.screenshot({ path: '/tmp/demo-page.png' });
  }, 60_000);
});
