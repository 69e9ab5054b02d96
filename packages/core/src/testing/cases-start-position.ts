import { expect } from 'vitest';
import type { BusFeature } from '../features.js';
import type { Message, MessageBus, Subscription } from '../message-bus.js';
import type { ConformanceCase } from './conformance-case.js';
import { Inbox, range, settle, type TestContext } from './harness.js';

/** Two buses on one backend when the driver crosses instances, else the same bus twice. */
async function twoBuses(t: TestContext, features: ReadonlySet<BusFeature>): Promise<[MessageBus, MessageBus]> {
  const first = await t.bus();
  return [first, features.has('crossInstance') ? await t.bus() : first];
}

function startOf(subscription: Subscription): string {
  const start = subscription.startPosition;
  expect(typeof start, 'a live broadcast subscription of a replay driver has a startPosition').toBe('string');
  expect(start?.length).toBeGreaterThan(0);
  return start as string;
}

const ids = (messages: readonly Message[]): string[] => messages.map((message) => message.id);

/**
 * Subscribes from `from` and checks that exactly `expected` arrive (same ids, in order when the
 * driver orders), nothing before them and nothing more.
 */
async function expectReplayOf(t: TestContext, bus: MessageBus, channel: string, from: string, expected: readonly Message[], ordered: boolean): Promise<Subscription> {
  const inbox = new Inbox();
  const subscription = await bus.subscribe(channel, inbox.handler, { from });
  expect(subscription.replay, 'nothing was trimmed, so the replay is exact').toBe('exact');
  await inbox.waitFor(expected.length, t.timeoutMs, 'messages replayed from startPosition');
  await settle(300);
  if (ordered) expect(ids(inbox.messages), 'from startPosition: exactly what the subscription delivered').toEqual(ids(expected));
  else expect([...ids(inbox.messages)].sort()).toEqual([...ids(expected)].sort());
  return subscription;
}

export const startPositionCases: readonly ConformanceCase[] = [
  {
    title: 'startPosition: from it, exactly what a live subscription delivered (a channel with earlier messages)',
    requires: ['replay'],
    async run(t, features) {
      const [near, far] = await twoBuses(t, features);
      const channel = t.channel('start-after-history');
      for (const index of range(3)) await near.publish(channel, `earlier-${index}`);
      const live = new Inbox<string>();
      const subscription = await far.subscribe(channel, live.handler);
      const start = startOf(subscription);
      await near.publish(channel, 'm1');
      await near.publish(channel, 'm2');
      const delivered = await live.waitFor(2, t.timeoutMs);
      await settle(200);
      expect(live.data, 'a live subscription gets only what came after it').toEqual(['m1', 'm2']);
      await expectReplayOf(t, near, channel, start, delivered, features.has('orderedPerChannel'));
      expect(subscription.startPosition, 'startPosition never changes').toBe(start);
    },
  },
  {
    title: 'startPosition: on a channel with no message yet, from it are exactly the new messages, and it is never "ahead"',
    requires: ['replay'],
    async run(t, features) {
      const [near, far] = await twoBuses(t, features);
      const channel = t.channel('start-empty');
      const live = new Inbox<string>();
      const start = startOf(await far.subscribe(channel, live.handler));
      // Before anything is published: a position past the channel's end would be rejected here.
      const early = new Inbox<string>();
      const earlySubscription = await near.subscribe(channel, early.handler, { from: start });
      expect(earlySubscription.replay).toBe('exact');
      await near.publish(channel, 'm1');
      await near.publish(channel, 'm2');
      const delivered = await live.waitFor(2, t.timeoutMs);
      await early.waitFor(2, t.timeoutMs, 'messages for the subscription from startPosition made before any publish');
      expect(live.data).toEqual(['m1', 'm2']);
      await expectReplayOf(t, near, channel, start, delivered, features.has('orderedPerChannel'));
      expect(ids(early.messages)).toEqual(ids(delivered));
    },
  },
  {
    title: 'startPosition: a subscription made while messages stream in; from it, the same messages (no gap, no overlap)',
    requires: ['replay'],
    async run(t, features) {
      const [near, far] = await twoBuses(t, features);
      const channel = t.channel('start-concurrent');
      const live = new Inbox<number>();
      let subscribing: Promise<Subscription> | undefined;
      let subscribed: Subscription | undefined;
      // Published one after another while the subscription is being made, and a few after it resolved.
      let after = 0;
      let count = 0;
      while (after < 10 && count < 5000) {
        await near.publish(channel, count);
        count += 1;
        if (count === 10) {
          subscribing = far.subscribe(channel, live.handler);
          void subscribing.then((subscription) => {
            subscribed = subscription;
          });
        }
        if (subscribed !== undefined) after += 1;
      }
      const subscription = await (subscribing as Promise<Subscription>);
      const start = startOf(subscription);
      const last = count - 1;
      const deadline = Date.now() + t.timeoutMs;
      while (!live.data.includes(last) && Date.now() < deadline) await settle(20);
      await settle(200);
      const delivered = [...live.messages];
      const first = live.data[0] ?? -1;
      expect(first, 'the live subscription got messages').toBeGreaterThanOrEqual(0);
      if (features.has('orderedPerChannel')) expect(live.data, 'a live subscription gets an unbroken run up to the last').toEqual(range(count).slice(first));
      await expectReplayOf(t, near, channel, start, delivered, features.has('orderedPerChannel'));
    },
  },
  {
    title: 'startPosition: a from subscription starts at from; replaying from its startPosition delivers the same',
    requires: ['replay'],
    async run(t, features) {
      const [near, far] = await twoBuses(t, features);
      const channel = t.channel('start-from');
      const live = new Inbox<number>();
      await near.subscribe(channel, live.handler);
      for (const index of range(4)) await near.publish(channel, index);
      const seen = await live.waitFor(4, t.timeoutMs);
      const from = seen[1]!.position;
      const inbox = new Inbox<number>();
      const replaying = await far.subscribe(channel, inbox.handler, { from });
      expect(replaying.startPosition, 'a from subscription starts at from').toBe(from);
      const replayed = await inbox.waitFor(2, t.timeoutMs);
      expect(inbox.data).toEqual([2, 3]);
      await expectReplayOf(t, near, channel, from, replayed, features.has('orderedPerChannel'));
    },
  },
  {
    title: 'startPosition is undefined in group mode',
    requires: ['groups'],
    async run(t) {
      const bus = await t.bus();
      const inbox = new Inbox();
      const member = await bus.subscribe(t.channel('start-group'), inbox.handler, { mode: 'group', group: t.group() });
      expect(member.startPosition).toBeUndefined();
    },
  },
  {
    title: 'startPosition is undefined when the driver lacks the replay feature',
    requiresMissing: 'replay',
    async run(t) {
      const bus = await t.bus();
      const inbox = new Inbox();
      const subscription = await bus.subscribe(t.channel('start-no-replay'), inbox.handler);
      expect(subscription.startPosition).toBeUndefined();
    },
  },
];
