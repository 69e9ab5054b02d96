import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwoInstances, type TwoInstances } from './cross-instance.js';
import { expectCrossing, launchBrowser, openDemo, subscribe } from './demo-browser.js';
import { killServerProcesses } from './server-process.js';

/**
 * The README's way to see a bus work by hand: `BUS=<bus> pnpm start` on two ports and the demo
 * page open on each; a message published in one page shows in the other.
 */
export function describeDemoAcrossInstances(bus: string, env: () => Record<string, string>, cleanup: () => Promise<void>): void {
  describe(`the demo page across two server instances on ${bus}`, () => {
    let browser: Browser;
    let instances: TwoInstances;

    beforeAll(async () => {
      browser = await launchBrowser();
      instances = await startTwoInstances({ BUS: bus, ...env() });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await instances?.stop();
      killServerProcesses();
      await cleanup();
    }, 60_000);

    it('shows a message published in one instance’s page in the other instance’s page, both ways', async () => {
      const [a, b] = instances.urls;
      const alice = await openDemo(browser, a);
      const bob = await openDemo(browser, b);
      await expect.poll(() => alice.textContent('#instance')).toBe('a');
      await expect.poll(() => bob.textContent('#instance')).toBe('b');
      await subscribe(alice, 'game:42');
      await subscribe(bob, 'game:42');
      await expectCrossing(alice, bob, 'from instance a');
      await expectCrossing(bob, alice, 'from instance b');
    }, 120_000);
  });
}
