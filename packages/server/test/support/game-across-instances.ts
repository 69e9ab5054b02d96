import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../driver-redis/test/harness/redis-server.js';
import { launchBrowser } from './demo-browser.js';
import { killServerProcesses, spawnServer, type ServerProcess } from './server-process.js';

const SECRET = 'a-demo-secret-that-is-at-least-32-bytes';

/** What the game page exposes for tests (`window.realtimeDemo.snapshot()`). */
interface GameSnapshot {
  readonly state: string;
  readonly instance: string;
  readonly members: readonly string[];
  readonly moves: Readonly<Record<string, readonly number[]>>;
}

/** A token the README's way: `pnpm -s run token`, run as a process with AUTH_SECRET. */
function mintToken(sub: string): string {
  const script = ['--conditions=@app/source', '--import', 'tsx', 'packages/server/src/cli/mint-token.ts'];
  return execFileSync(process.execPath, [...script, '--sub', sub, '--channels', JSON.stringify({ 'game:*': ['subscribe', 'publish', 'presence'] })], {
    env: { PATH: process.env['PATH'] ?? '', AUTH_SECRET: SECRET },
    encoding: 'utf8',
  }).trim();
}

// Page-side code as a string: this project compiles without the DOM library.
const snapshot = async (page: Page): Promise<GameSnapshot> => (await page.evaluate('window.realtimeDemo.snapshot()')) as GameSnapshot;

/** Makes `count` moves, alternating right and left so the board's edge never swallows one. */
async function makeMoves(page: Page, count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    await page.keyboard.press(index % 2 === 0 ? 'ArrowDown' : 'ArrowUp');
    await page.waitForTimeout(30);
  }
}

const range = (count: number): number[] => Array.from({ length: count }, (_, index) => index + 1);

/** Both pages see exactly `player`'s moves 1..n, each once, in order; returns n. */
async function agreeOn(pages: readonly Page[], player: string, atLeast: number): Promise<number> {
  let expected: number[] = [];
  await expect
    .poll(async () => {
      const views = await Promise.all(pages.map(async (page) => (await snapshot(page)).moves[player] ?? []));
      expected = range(views[0]?.length ?? 0);
      return views.every((view) => view.length >= atLeast && JSON.stringify(view) === JSON.stringify(expected));
    }, { timeout: 30_000, interval: 200 })
    .toBe(true);
  return expected.length;
}

async function screenshotPair(browser: Browser, pages: readonly Page[]): Promise<void> {
  const shots = await Promise.all(pages.map(async (page) => (await page.screenshot()).toString('base64')));
  const sheet = await browser.newPage({ viewport: { width: 2390, height: 720 } });
  await sheet.setContent(`<body style="margin:0;background:#0b0f18;display:flex;gap:20px;padding:10px">${shots.map((shot) => `<img width="1180" src="data:image/png;base64,${shot}">`).join('')}</body>`);
  const target = process.env['UPDATE_DOCS_SCREENSHOTS'] === '1' ? 'docs/images' : 'test-results';
  mkdirSync(target, { recursive: true });
  writeFileSync(`${target}/demo-game.png`, await sheet.screenshot());
  await sheet.close();
}

/**
 * The demo game in two real Chromium pages, each on its own server instance: moves and presence
 * cross instances; then one instance is SIGKILLed, its page fails over to the other (DEMO_URLS),
 * and play goes on with no move lost and none doubled.
 */
export function describeGameAcrossInstances(bus: string, env: () => Record<string, string>, cleanup: () => Promise<void>): void {
  describe(`the demo game in two browsers on two instances on ${bus}`, () => {
    let browser: Browser;
    let servers: ServerProcess[] = [];
    let urls: string[] = [];

    beforeAll(async () => {
      browser = await launchBrowser();
      const ports = [await freePort(), await freePort()];
      const common = {
        BUS: bus,
        ...env(),
        AUTH_SECRET: SECRET,
        DEMO_URLS: ports.map((port) => `ws://127.0.0.1:${port}/ws`).join(','),
        PRESENCE_TTL_MS: '3000',
        PRESENCE_HEARTBEAT_MS: '1000',
      };
      servers = ['a', 'b'].map((name, index) => spawnServer({ ...common, PORT: String(ports[index]), INSTANCE_ID: name }));
      urls = await Promise.all(servers.map((server) => server.listening(90_000)));
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await Promise.all(servers.map((server) => server.stop()));
      killServerProcesses();
      await cleanup();
    }, 60_000);

    it('shows each player the other’s moves and presence, and survives SIGKILL of one instance with no move lost or doubled', async () => {
      const room = `r${randomBytes(3).toString('hex')}`;
      const [a, b] = urls as [string, string];
      const alice = await browser.newPage({ viewport: { width: 1180, height: 700 } });
      const bob = await browser.newPage({ viewport: { width: 1180, height: 700 } });
      await alice.goto(`${a}/#room=${room}&token=${mintToken('alice')}`);
      await bob.goto(`${b}/#room=${room}&token=${mintToken('bob')}`);
      const pages = [alice, bob];
      await expect.poll(async () => (await snapshot(alice)).instance, { timeout: 20_000 }).toBe('a');
      await expect.poll(async () => (await snapshot(bob)).instance, { timeout: 20_000 }).toBe('b');
      for (const page of pages) await expect.poll(async () => (await snapshot(page)).members, { timeout: 20_000 }).toEqual(['alice', 'bob']);

      await makeMoves(alice, 6);
      await makeMoves(bob, 4);
      await agreeOn(pages, 'alice', 6);
      await agreeOn(pages, 'bob', 4);

      const [victim] = servers;
      await victim?.kill('SIGKILL');
      // Moves made while the page has no server wait in the client's queue and go out once.
      await makeMoves(alice, 4);
      await expect.poll(async () => snapshot(alice), { timeout: 30_000 }).toMatchObject({ state: 'connected', instance: 'b' });
      await makeMoves(alice, 4);
      await makeMoves(bob, 4);
      expect(await agreeOn(pages, 'alice', 14)).toBe(14);
      expect(await agreeOn(pages, 'bob', 8)).toBe(8);
      for (const page of pages) expect((await snapshot(page)).members).toEqual(['alice', 'bob']);
      expect(await alice.locator('#players li').count()).toBe(2);
      await screenshotPair(browser, pages);
      // With AUTH_SECRET on, a page opened without a token is refused at the handshake and never plays.
      const stranger = await browser.newPage();
      await stranger.goto(`${b}/#room=${room}`);
      await stranger.waitForTimeout(1500);
      expect((await snapshot(stranger)).state).not.toBe('connected');
      expect((await snapshot(bob)).members).toEqual(['alice', 'bob']);
    }, 180_000);
  });
}
