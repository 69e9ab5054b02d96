import { isBusError } from '@app/core';
import { Inbox } from '@app/core/testing';
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
