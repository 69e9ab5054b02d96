import { expect } from 'vitest';
import type { Message, MessageBus } from '../message-bus.js';
import type { ConformanceCase } from './conformance-case.js';
import { expectBusError } from './expect-bus-error.js';
import { Inbox, range, settle, type TestContext } from './harness.js';
import { blockingGate } from './waits.js';

/** Two buses on one backend when the driver crosses instances, else the same bus twice. */
async function twoBuses(t: TestContext, crossInstance: boolean): Promise<[MessageBus, MessageBus]> {
  const first = await t.bus();
  return [first, crossInstance ? await t.bus() : first];
}

export const deliveryCases: readonly ConformanceCase[] = [
  {
    title: 'fan-out: every broadcast subscriber gets every message',
    async run(t, features) {
      const [near, far] = await twoBuses(t, features.has('crossInstance'));
      const channel = t.channel('fan-out');
      const inboxes = [new Inbox(), new Inbox(), new Inbox(), new Inbox()];
      await near.subscribe(channel, inboxes[0]!.handler);
      await near.subscribe(channel, inboxes[1]!.handler);
      await far.subscribe(channel, inboxes[2]!.handler);
      await far.subscribe(channel, inboxes[3]!.handler);
      for (const index of range(20)) await near.publish(channel, index);
      for (const inbox of inboxes) {
        await inbox.waitFor(20, t.timeoutMs);
        if (features.has('orderedPerChannel')) expect(inbox.data).toEqual(range(20));
        else expect([...inbox.data].sort((a, b) => Number(a) - Number(b))).toEqual(range(20));
      }
      await settle(200);
      for (const inbox of inboxes) expect(inbox.messages).toHaveLength(20);
    },
  },
  {
    title: 'order per channel holds under concurrent publishers that do not await each publish',
    requires: ['orderedPerChannel'],
    async run(t, features) {
      const [one, two] = await twoBuses(t, features.has('crossInstance'));
      const count = t.orderingMessages;
      const channel = t.channel('order');
      const inboxes = [new Inbox<{ p: number; i: number }>(), new Inbox<{ p: number; i: number }>()];
      await one.subscribe(channel, inboxes[0]!.handler);
      await two.subscribe(channel, inboxes[1]!.handler);
      await Promise.all([
        Promise.all(range(count).map((i) => one.publish(channel, { p: 1, i }))),
        Promise.all(range(count).map((i) => two.publish(channel, { p: 2, i }))),
      ]);
      for (const inbox of inboxes) {
        await inbox.waitFor(2 * count, t.timeoutMs);
        for (const publisher of [1, 2]) {
          const sequence = inbox.data.filter((item) => item.p === publisher).map((item) => item.i);
          expect(sequence, `publisher ${publisher}'s messages in publish order`).toEqual(range(count));
        }
      }
      expect(inboxes[1]!.data, 'every subscriber sees one order').toEqual(inboxes[0]!.data);
    },
  },
  {
    // A handler that publishes is the common case (a game reacting to a move); a driver that
    // delivers the reply to some subscribers before the message that caused it breaks one order.
    title: 'a handler that publishes to the same channel: every subscriber sees one order',
    requires: ['orderedPerChannel'],
    async run(t, features) {
      const [near, far] = await twoBuses(t, features.has('crossInstance'));
      const channel = t.channel('reentrant');
      const replies: Promise<unknown>[] = [];
      const reacting = new Inbox<string>();
      await near.subscribe(channel, (message: Message<string>) => {
        reacting.handler(message);
        if (message.data === 'move') replies.push(near.publish(channel, 'reply'));
      });
      const inboxes = [reacting, new Inbox<string>(), new Inbox<string>()];
      await near.subscribe(channel, inboxes[1]!.handler);
      await far.subscribe(channel, inboxes[2]!.handler);
      await near.publish(channel, 'move');
      for (const inbox of inboxes) {
        await inbox.waitFor(2, t.timeoutMs);
        expect(inbox.data, 'the reply comes after the message that caused it').toEqual(['move', 'reply']);
      }
      await Promise.all(replies);
    },
  },
  {
    title: 'unsubscribe stops delivery to that subscription only',
    async run(t) {
      const bus = await t.bus();
      const channel = t.channel('unsubscribe');
      const leaving = new Inbox();
      const staying = new Inbox();
      const subscription = await bus.subscribe(channel, leaving.handler);
      await bus.subscribe(channel, staying.handler);
      expect(subscription.channel).toBe(channel);
      expect(subscription.mode).toBe('broadcast');
      await bus.publish(channel, 'before');
      await leaving.waitFor(1, t.timeoutMs);
      await subscription.unsubscribe();
      await bus.publish(channel, 'after-1');
      await bus.publish(channel, 'after-2');
      await staying.waitFor(3, t.timeoutMs);
      await settle(300);
      expect(leaving.data).toEqual(['before']);
      await subscription.unsubscribe();
    },
  },
  {
    title: 'a broadcast handler that throws is reported through onError and delivery goes on',
    async run(t) {
      const bus = await t.bus();
      const channel = t.channel('throws');
      const errors: { error: Error; id: string | undefined }[] = [];
      const inbox = new Inbox();
      await bus.subscribe(
        channel,
        (message) => {
          if (message.data === 'boom') throw new Error('handler failed on purpose');
          inbox.handler(message);
        },
        { onError: (error, message) => errors.push({ error, id: message?.id }) },
      );
      const failed = await bus.publish(channel, 'boom');
      await bus.publish(channel, 'fine');
      await inbox.waitFor(1, t.timeoutMs);
      expect(inbox.data).toEqual(['fine']);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.id).toBe(failed.id);
      expect(errors[0]?.error.message).toContain('handler failed on purpose');
    },
  },
  {
    title: 'handler calls of one subscription never overlap, and unsubscribe waits for a running one',
    async run(t) {
      const bus = await t.bus();
      const channel = t.channel('serial');
      let running = 0;
      let most = 0;
      const gate = blockingGate();
      const inbox = new Inbox();
      const subscription = await bus.subscribe(channel, async (message) => {
        running += 1;
        most = Math.max(most, running);
        inbox.handler(message);
        if (message.data === 0) await gate.wait;
        else await settle(5);
        running -= 1;
      });
      await Promise.all(range(5).map((index) => bus.publish(channel, index)));
      await inbox.waitFor(1, t.timeoutMs);
      let unsubscribed = false;
      const ending = subscription.unsubscribe().then(() => {
        unsubscribed = true;
      });
      await settle(100);
      expect(unsubscribed, 'unsubscribe resolved while a handler was still running').toBe(false);
      gate.release();
      await ending;
      expect(running).toBe(0);
      expect(most).toBe(1);
    },
  },
  {
    title: 'replay from a position delivers what came after it, then live messages, with no gap or duplicate',
    requires: ['replay'],
    async run(t, features) {
      const [publisher, replayer] = await twoBuses(t, features.has('crossInstance'));
      const channel = t.channel('replay');
      const live = new Inbox<number>();
      await publisher.subscribe(channel, live.handler);
      for (const index of range(5)) await publisher.publish(channel, index);
      const seen = await live.waitFor(5, t.timeoutMs);
      const inbox = new Inbox<number>();
      const subscription = await replayer.subscribe(channel, inbox.handler, { from: seen[1]!.position });
      expect(subscription.replay).toBe('exact');
      await inbox.waitFor(3, t.timeoutMs);
      await publisher.publish(channel, 5);
      await inbox.waitFor(4, t.timeoutMs);
      const all = await live.waitFor(6, t.timeoutMs);
      await settle(200);
      expect(inbox.data).toEqual([2, 3, 4, 5]);
      expect(inbox.messages.map((message) => message.position)).toEqual(all.slice(2).map((message) => message.position));
    },
  },
  {
    title: 'replay from a malformed position is rejected with invalid_position',
    requires: ['replay'],
    async run(t) {
      const bus = await t.bus();
      const inbox = new Inbox();
      await expectBusError(() => bus.subscribe(t.channel('bad-position'), inbox.handler, { from: 'not a position!' }), 'invalid_position');
    },
  },
  {
    title: 'replay is refused when the driver lacks the replay feature',
    requiresMissing: 'replay',
    async run(t) {
      const bus = await t.bus();
      const inbox = new Inbox();
      await expectBusError(() => bus.subscribe(t.channel('no-replay'), inbox.handler, { from: 'anything' }), 'unsupported');
    },
  },
];
