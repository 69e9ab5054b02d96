import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/backoff.js';
import { DedupeWindow } from '../src/dedupe-window.js';
import { randomId } from '../src/random-id.js';
import { tokenExpiry, TokenSource } from '../src/token.js';

const jwt = (payload: object): string => `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;

describe('backoff', () => {
  it('is full jitter: below min(cap, base * 2^attempt), spread over the window', () => {
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const window = Math.min(10_000, 250 * 2 ** attempt);
      const delays = Array.from({ length: 200 }, () => backoffDelay(attempt, 250, 10_000));
      expect(Math.max(...delays)).toBeLessThan(window);
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...delays), 'reaches well into the window').toBeGreaterThan(window / 2);
    }
  });
});

describe('the dedupe window', () => {
  it('forgets the oldest key once full', () => {
    const window = new DedupeWindow(3);
    expect(['a', 'b', 'c', 'a'].map((key) => window.seen(key))).toEqual([false, false, false, true]);
    expect(window.seen('d')).toBe(false);
    expect(window.seen('a'), 'a was the oldest').toBe(false);
    expect(window.seen('c')).toBe(true);
  });
});

describe('message ids', () => {
  it('are 128 random bits in hex, as the server accepts them', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => randomId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('tokens', () => {
  it('reads exp from the payload without verifying, and nothing from what is not a JWT', () => {
    expect(tokenExpiry(jwt({ sub: 'a', exp: 1_800_000_000 }))).toBe(1_800_000_000_000);
    expect(tokenExpiry(jwt({ sub: 'a' }))).toBeUndefined();
    expect(tokenExpiry('opaque')).toBeUndefined();
    expect(tokenExpiry('a.%%%.c')).toBeUndefined();
  });

  it('plans the refresh at exp minus the lead, never before half the time left, never past the timer limit', () => {
    const now = Date.now();
    const source = (expS: number): TokenSource => new TokenSource(jwt({ exp: expS }), () => 'next', 60_000);
    const close = (value: number | undefined, expected: number): void => expect(Math.abs((value ?? 0) - expected)).toBeLessThan(1500);
    close(source(Math.floor(now / 1000) + 600).refreshDelay(), 540_000);
    close(source(Math.floor(now / 1000) + 80).refreshDelay(), 40_000);
    expect(source(Math.floor(now / 1000) + 10 ** 9).refreshDelay()).toBe(2_147_483_647);
    expect(new TokenSource(jwt({ exp: 1 }), undefined, 60_000).refreshDelay(), 'a fixed token is not refreshed').toBeUndefined();
  });

  it('keeps the newest token when an older getToken call answers last', async () => {
    const answers: ((token: string) => void)[] = [];
    const source = new TokenSource(undefined, () => new Promise<string>((resolve) => answers.push(resolve)), 0);
    const slow = source.fresh();
    const fast = source.fresh();
    answers[1]?.('new');
    await fast;
    answers[0]?.('old');
    await slow;
    expect(await source.forConnect()).toBe('new');
  });
});
