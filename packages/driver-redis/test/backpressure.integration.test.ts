import type { MessageBus } from '@app/core';
import { Inbox, settle } from '@app/core/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deleteKeys, readyBus, uniquePrefix } from './support/test-bus.js';

const url = inject('redisUrl');
const range = (count: number): number[] => Array.from({ length: count }, (_, index) => index);

describe('redis bus with a subscriber slower than the publisher', () => {
  const prefix = uniquePrefix('slow');
  let bus: MessageBus;

  beforeAll(async () => {
    // A tiny queue: the slow subscriber pauses its reads many times over.
    bus = await readyBus({ url, keyPrefix: prefix, maxPendingPerSubscription: 4, readBatchSize: 7 });
  });

  afterAll(async () => {
    await bus.close();
    await deleteKeys(url, prefix);
  });

  it('pauses and resumes instead of dropping: every message arrives once, in order, also for a fast neighbour', async () => {
    const slow = new Inbox<number>();
    const fast = new Inbox<number>();
    await bus.subscribe<number>('feed:slow', async (message) => {
      await settle(2);
      slow.handler(message);
    });
    await bus.subscribe('feed:slow', fast.handler);
    await Promise.all(range(100).map((index) => bus.publish('feed:slow', index)));
    await fast.waitFor(100, 15_000, 'messages for the fast subscriber');
    await slow.waitFor(100, 15_000, 'messages for the slow subscriber');
    await settle(200);
    expect(fast.data).toEqual(range(100));
    expect(slow.data).toEqual(range(100));
  });
});
