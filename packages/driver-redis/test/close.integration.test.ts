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
});
