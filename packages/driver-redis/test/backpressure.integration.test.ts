import { isBusError, type Message, type MessageBus } from '@app/core';
import { Inbox, blockingGate, settle } from '@app/core/testing';
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

describe('redis bus with a subscriber held back longer than its stream keeps', () => {
  const prefix = uniquePrefix('trimmed');

  afterAll(() => deleteKeys(url, prefix));

  it('ends it with one position_expired after a gap-free prefix instead of skipping what was trimmed', async () => {
    const bus = await readyBus({ url, keyPrefix: prefix, maxPendingPerSubscription: 4, streamMaxLen: 10 });
    try {
      const gate = blockingGate();
      const handled: Message<number>[] = [];
      const errors: Error[] = [];
      await bus.subscribe<number>(
        'feed:trimmed',
        async (message) => {
          handled.push(message);
          await gate.wait;
        },
        { onError: (error) => errors.push(error) },
      );
      const fast = new Inbox<number>();
      await bus.subscribe('feed:trimmed', fast.handler);
      // MAXLEN ~ trims whole radix-tree nodes (about 100 entries): 300 is well past what is kept.
      for (const index of range(300)) await bus.publish('feed:trimmed', index);
      await fast.waitFor(300, 15_000, 'messages for the fast subscriber');
      gate.release();
      await expect.poll(() => errors.length, { timeout: 10_000 }).toBe(1);
      await settle(200);
      expect(isBusError(errors[0]) && errors[0].reason).toBe('position_expired');
      expect(errors[0]?.message).toContain('"feed:trimmed"');
      const received = handled.map((message) => message.data);
      expect(received).toEqual(range(received.length));
      expect(received.length).toBeLessThan(300);
      expect(errors).toHaveLength(1);
    } finally {
      await bus.close();
    }
  });
});
