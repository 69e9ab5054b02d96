import type { BusLogger } from '@app/core';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { deleteKeys, readyBus, uniquePrefix } from './support/test-bus.js';

const url = inject('redisUrl');
const keyPrefix = uniquePrefix('close');

afterAll(() => deleteKeys(url, keyPrefix));

describe('closing the redis bus', () => {
  it('does not report its own closing as a lost connection', async () => {
    const warnings: string[] = [];
    const logger: BusLogger = {
      debug() {},
      info() {},
      warn: (_details, message) => warnings.push(message),
      error: (_details, message) => warnings.push(message),
    };
    const bus = await readyBus({ url, keyPrefix, logger });
    let started: () => void = () => {};
    const handling = new Promise<void>((resolve) => {
      started = resolve;
    });
    // A handler still running keeps close() busy after the reader stopped, as on a real server.
    await bus.subscribe('game:1', async () => {
      started();
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    await bus.publish('game:1', 'one');
    await handling;
    await bus.close();
    // Give a late 'close' event of either connection the chance to log.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(warnings).toEqual([]);
    expect(bus.status()).toBe('closed');
  });

  it('gives up on handlers that never return after closeTimeoutMs, in unsubscribe and in close', async () => {
    const bus = await readyBus({ url, keyPrefix, closeTimeoutMs: 300 });
    const started: string[] = [];
    const never = (label: string) => (): Promise<void> => {
      started.push(label);
      return new Promise<void>(() => {});
    };
    const member = await bus.subscribe('stuck:1', never('group'), { mode: 'group', group: 'stuck' });
    await bus.subscribe('stuck:1', never('broadcast'));
    await bus.publish('stuck:1', 'stuck');
    await bus.publish('stuck:1', 'queued behind it');
    await expect.poll(() => started.length, { timeout: 5000 }).toBe(2);
    let begun = Date.now();
    await member.unsubscribe();
    expect(Date.now() - begun).toBeGreaterThanOrEqual(250);
    expect(Date.now() - begun).toBeLessThan(3000);
    begun = Date.now();
    await bus.close();
    expect(Date.now() - begun).toBeLessThan(3000);
    expect(started.sort()).toEqual(['broadcast', 'group']);
  });
});
