import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, subscribe } from '../support/demo-browser.js';
import { startTestServer } from '../support/test-server.js';

let browser: Browser;

/** Chromium reports every blocked script, style or connection on the console: collects those lines. */
function cspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) violations.push(message.text());
  });
  return violations;
}

/** Adds a script the page did not ship; true if it ran. Page-side code as a string: no DOM library here. */
async function injectedScriptRan(page: Page): Promise<boolean> {
  return (await page.evaluate(`(() => {
    const script = document.createElement('script');
    script.textContent = 'window.injected = true';
    document.body.append(script);
    return window.injected === true;
  })()`)) === true;
}

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('the protocol console and the demo game under their Content-Security-Policy', () => {
  it('runs its script, applies its style and opens its WebSocket, with no violation reported', async () => {
    const server = await startTestServer();
    const demo = await browser.newPage();
    const violations = cspViolations(demo);
    await demo.goto(`${server.url}/console`);
    // The inline script ran, and its same-origin WebSocket was allowed (it says "connected" once open)...
    await demo.locator('#status', { hasText: 'connected' }).waitFor();
    await subscribe(demo, 'csp:check');
    // ...the inline style applied (the class that replaced a style attribute)...
    // Page-side code as strings: this project compiles without the DOM library.
    expect(await demo.evaluate("getComputedStyle(document.querySelector('section.stacked')).marginTop")).toBe('20px');
    expect(violations).toEqual([]);
    // ...and the policy is enforced: a script the page did not ship is refused, and reported.
    expect(await injectedScriptRan(demo)).toBe(false);
    await expect.poll(() => violations.length).toBe(1);
    expect(violations[0]).toContain('script-src');
  }, 60_000);

  it('runs the game from its own /demo.js, connects, and still refuses an inline script', async () => {
    const server = await startTestServer();
    const game = await browser.newPage();
    const violations = cspViolations(game);
    await game.goto(server.url);
    await game.locator('#status', { hasText: 'connected' }).waitFor();
    await expect.poll(() => game.locator('#board .cell').count()).toBe(160);
    expect(violations).toEqual([]);
    expect(await injectedScriptRan(game)).toBe(false);
    await expect.poll(() => violations.length).toBe(1);
  }, 60_000);
});
