import { expect } from 'vitest';
import { isBusError } from '../errors.js';
import type { Subscription } from '../message-bus.js';
import type { ConformanceCase } from './conformance-case.js';
import { expectBusError } from './expect-bus-error.js';
import { Inbox, range, settle } from './harness.js';

export const lifecycleCases: readonly ConformanceCase[] = [
  {
    title: 'close flushes publishes already started; later calls fail with reason "closed"',
    async run(t, features) {
      const bus = await t.bus();
      const channel = t.channel('close');
      const receiver = features.has('crossInstance') ? await t.bus() : undefined;
      const inbox = new Inbox<number>();
      await receiver?.subscribe(channel, inbox.handler);
      const pending = range(50).map((index) => bus.publish(channel, index));
      await bus.close();
      const outcomes = await Promise.allSettled(pending);
      expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
      if (receiver !== undefined) {
        await inbox.waitFor(50, t.timeoutMs, 'messages published before close');
        if (features.has('orderedPerChannel')) expect(inbox.data).toEqual(range(50));
      }
      expect(bus.status()).toBe('closed');
      await expectBusError(() => bus.publish(channel, 'late'), 'closed');
      await expectBusError(() => bus.subscribe(channel, inbox.handler), 'closed');
      await bus.close();
    },
  },
  {
    title: 'close ends subscriptions: no handler runs after close resolves',
    async run(t, features) {
      const bus = await t.bus();
      const other = features.has('crossInstance') ? await t.bus() : undefined;
      const channel = t.channel('close-subs');
      let callsAfterClose = 0;
      let closed = false;
      const inbox = new Inbox();
      const subscription = await bus.subscribe(channel, async (message) => {
        if (closed) callsAfterClose += 1;
        inbox.handler(message);
        await settle(10);
      });
      // A backlog of slow deliveries is still queued when close is called.
      const published = range(20).map((index) => bus.publish(channel, index));
      await inbox.waitFor(1, t.timeoutMs);
      await bus.close();
      closed = true;
      await Promise.allSettled(published);
      await other?.publish(channel, 'after close');
      await settle(300);
      expect(callsAfterClose).toBe(0);
      await subscription.unsubscribe();
    },
  },
  {
    title: 'subscribe racing close either succeeds or fails with "closed", and close still completes',
    async run(t) {
      const bus = await t.bus();
      const inbox = new Inbox();
      const attempts = range(20).map((index) => bus.subscribe(t.channel(`race-${index}`), inbox.handler));
      const closing = bus.close();
      const outcomes = await Promise.allSettled(attempts);
      await closing;
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          expect(isBusError(outcome.reason) && outcome.reason.reason, String(outcome.reason)).toBe('closed');
        }
      }
      const live = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : [])) as Subscription[];
      await Promise.all(live.map((subscription) => subscription.unsubscribe()));
      expect(bus.status()).toBe('closed');
    },
  },
];
