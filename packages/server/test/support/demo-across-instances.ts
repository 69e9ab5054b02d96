import { execFileSync } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwoInstances, type TwoInstances } from './cross-instance.js';
import { expectCrossing, launchBrowser, openDemo, subscribe } from './demo-browser.js';
import { killServerProcesses } from './server-process.js';

const SECRET = 'a-demo-secret-that-is-at-least-32-bytes';

/** A token minted the README's way: `pnpm token`, run as a process with AUTH_SECRET. */
function mintToken(sub: string, channels: object): string {
  return execFileSync(process.execPath, ['--conditions=@app/source', '--import', 'tsx', 'packages/server/src/cli/mint-token.ts', '--sub', sub, '--channels', JSON.stringify(channels)], {
    env: { PATH: process.env['PATH'] ?? '', AUTH_SECRET: SECRET },
    encoding: 'utf8',
  }).trim();
}

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

  describe(`the README's auth walkthrough on ${bus}: two instances with AUTH_SECRET, a minted token per tab`, () => {
    let browser: Browser;
    let instances: TwoInstances;

    beforeAll(async () => {
      browser = await launchBrowser();
      instances = await startTwoInstances({ BUS: bus, ...env(), AUTH_SECRET: SECRET });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await instances?.stop();
      killServerProcesses();
      await cleanup();
    }, 60_000);

    it('shows each tab the other’s messages under the token’s sub, and refuses a tab without a token', async () => {
      const [a, b] = instances.urls;
      const grants = { 'game:*': ['subscribe', 'publish'] };
      const alice = await openDemo(browser, `${a}/#token=${mintToken('alice', grants)}`);
      const bob = await openDemo(browser, `${b}/#token=${mintToken('bob', grants)}`);
      expect(await alice.textContent('#nickname')).toBe('alice');
      await subscribe(alice, 'game:42');
      await subscribe(bob, 'game:42');
      await expectCrossing(alice, bob, 'hello from alice');
      expect(await bob.locator('#messages li.message', { hasText: 'hello from alice' }).textContent()).toContain('alice');
      await expectCrossing(bob, alice, 'hello from bob');
      const anonymous = await browser.newPage();
      await anonymous.goto(a);
      await anonymous.locator('#messages li', { hasText: 'refused' }).or(anonymous.locator('#status', { hasText: 'disconnected' })).first().waitFor();
      expect(await anonymous.textContent('#status')).toContain('disconnected');
    }, 120_000);
  });
}
