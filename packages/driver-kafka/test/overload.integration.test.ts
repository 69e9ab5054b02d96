import { isBusError, type Message } from '@app/core';
import { Inbox, blockingGate } from '@app/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { testBus, uniqueName } from './bus-factory.js';
import { cleanUpPrefix } from './raw-kafka.js';

const prefix = `${uniqueName('overload')}.`;

afterAll(() => cleanUpPrefix(prefix));

describe('publishing faster than Kafka takes it', () => {
  it('refuses what would pass maxPendingPublishBytes with a retryable "overloaded" error, and delivers every accepted publish', async () => {
    const bus = await testBus({ topicPrefix: prefix, maxPendingPublishBytes: 4096 });
    try {
      const inbox = new Inbox<{ index: number }>();
      await bus.subscribe('flood:1', inbox.handler);
      const payload = 'x'.repeat(900);
      const outcomes = await Promise.allSettled(Array.from({ length: 40 }, (_, index) => bus.publish('flood:1', { index, payload })));
      const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
      const accepted = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [index] : []));
      expect(refused.length).toBeGreaterThan(0);
      for (const error of refused) {
        expect(isBusError(error) && error.reason).toBe('overloaded');
        expect(isBusError(error) && error.isRetryable).toBe(true);
      }
      await inbox.waitFor(accepted.length, 20_000, 'every accepted publish');
      expect(inbox.data.map((data) => data.index)).toEqual(accepted);
      // Once the backlog is gone the bus takes publishes again.
      await bus.publish('flood:1', { index: 99, payload });
    } finally {
      await bus.close();
    }
  });
});

describe('a broadcast subscriber slower than its channel', () => {
  it('is ended with one position_expired past maxPendingPerSubscription, after a gap-free prefix, and resumes from its last position', { timeout: 60_000 }, async () => {
    const bus = await testBus({ topicPrefix: prefix, maxPendingPerSubscription: 5 });
    try {
      const gate = blockingGate();
      const handled: Message<number>[] = [];
      const errors: Error[] = [];
      const slow = await bus.subscribe<number>(
        'slow:1',
        async (message) => {
          handled.push(message);
          await gate.wait;
        },
        { onError: (error) => errors.push(error) },
      );
      const fast = new Inbox<number>();
      await bus.subscribe('slow:1', fast.handler);
      for (let index = 0; index < 20; index += 1) await bus.publish('slow:1', index);
      await fast.waitFor(20, 20_000);
      gate.release();
      await expect.poll(() => errors.length, { timeout: 10_000 }).toBe(1);
      const [error] = errors;
      expect(isBusError(error) && error.reason).toBe('position_expired');
      expect(isBusError(error) && error.isRetryable).toBe(true);
      expect(error?.message).toContain('"slow:1"');
      const received = handled.map((message) => message.data);
      expect(received.length).toBeGreaterThan(0);
      expect(received.length).toBeLessThan(20);
      expect(received).toEqual(Array.from({ length: received.length }, (_, index) => index));
      await slow.unsubscribe();
      const rest = new Inbox<number>();
      await bus.subscribe('slow:1', rest.handler, { from: handled.at(-1)!.position });
      await rest.waitFor(20 - received.length, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(rest.data).toEqual(Array.from({ length: 20 - received.length }, (_, index) => received.length + index));
      expect(errors).toHaveLength(1);
    } finally {
      await bus.close();
    }
  });
});
