import type { Message, MessageBus, Subscription } from '@app/core';
import { Inbox, settle } from '@app/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { testBus, uniqueName } from './bus-factory.js';
import { cleanUpPrefix } from './raw-kafka.js';

const topicPrefix = `${uniqueName('start')}.`;
const buses: MessageBus[] = [];

afterEach(async () => {
  await Promise.all(buses.splice(0).map((item) => item.close()));
});
afterAll(() => cleanUpPrefix(topicPrefix));

async function bus(): Promise<MessageBus> {
  const made = await testBus({ topicPrefix, clientId: 'start-test' });
  buses.push(made);
  return made;
}

const ids = (messages: readonly Message[]): string[] => messages.map((message) => message.id);

describe('kafka bus startPosition', () => {
  it('subscribes to several new topics at once (kafkajs can find no partitions while another topic\'s metadata refreshes)', async () => {
    const near = await bus();
    const channels = Array.from({ length: 6 }, (_, i) => `burst${i}:1`);
    const inboxes = channels.map(() => new Inbox<string>());
    const subscriptions = await Promise.all(channels.map((channel, i) => near.subscribe(channel, (inboxes[i] as Inbox<string>).handler)));
    expect(subscriptions.map((subscription) => subscription.startPosition)).toEqual(channels.map(() => expect.stringMatching(/\/-1$/)));
    await Promise.all(channels.map((channel) => near.publish(channel, channel)));
    const got = await Promise.all(inboxes.map((inbox) => inbox.waitFor(1, 20_000)));
    expect(got.map((messages) => messages.map((message) => message.data))).toEqual(channels.map((channel) => [channel]));
  }, 60_000);

  it('on an empty partition is <topic>/<partition>/-1, which from accepts and replays from offset 0', async () => {
    const near = await bus();
    const live = new Inbox<string>();
    // A namespace of its own: a new topic, every partition empty.
    const subscription = await near.subscribe('fresh:1', live.handler);
    expect(subscription.startPosition).toMatch(/^start-[0-9a-f]{8}\.fresh\/\d\/-1$/);
    const start = subscription.startPosition ?? '';
    const early = new Inbox<string>();
    const earlySubscription = await near.subscribe('fresh:1', early.handler, { from: start });
    expect(earlySubscription.replay).toBe('exact');
    expect(earlySubscription.startPosition).toBe(start);
    const receipts = [await near.publish('fresh:1', 'a'), await near.publish('fresh:1', 'b')];
    expect(receipts[0]?.position).toBe(start.replace(/-1$/, '0'));
    await live.waitFor(2, 20_000);
    await early.waitFor(2, 20_000);
    const far = await bus();
    const replay = new Inbox<string>();
    expect((await far.subscribe('fresh:1', replay.handler, { from: start })).replay).toBe('exact');
    await replay.waitFor(2, 20_000);
    await settle(300);
    for (const inbox of [live, early, replay]) expect(inbox.messages.map((message) => message.position)).toEqual(receipts.map((receipt) => receipt.position));
  });

  it('-1 is accepted only as "before offset 0": -2 and a non-number are invalid positions', async () => {
    const near = await bus();
    const subscription = await near.subscribe('neg:1', () => {});
    const start = subscription.startPosition ?? '';
    for (const bad of [start.replace(/-1$/, '-2'), start.replace(/-1$/, '-0'), start.replace(/-1$/, 'x')]) {
      await expect(near.subscribe('neg:1', () => {}, { from: bad })).rejects.toMatchObject({ name: 'BusError', reason: 'invalid_position' });
    }
  });

  it('of a subscription joining a reader that already runs for the topic: the offset before the first record it is handed', async () => {
    const near = await bus();
    const far = await bus();
    // Starts the reader of topic "room" on `far`; the next subscription shares its consumer.
    await far.subscribe('room:anchor', () => {});
    let subscribing: Promise<Subscription> | undefined;
    let subscribed = false;
    const live = new Inbox<number>();
    const publishing: Promise<unknown>[] = [];
    let after = 0;
    let count = 0;
    while (after < 20 && count < 5000) {
      // Bursts not awaited one by one: records are in flight while the subscription joins.
      publishing.push(near.publish('room:x', count), near.publish('room:anchor', count));
      count += 1;
      if (count % 5 === 0) await Promise.all(publishing.splice(0));
      if (count === 20) {
        subscribing = far.subscribe('room:x', live.handler);
        void subscribing.then(() => {
          subscribed = true;
        });
      }
      if (subscribed) after += 1;
    }
    await Promise.all(publishing);
    const subscription = await (subscribing as Promise<Subscription>);
    const last = count - 1;
    const deadline = Date.now() + 20_000;
    while (!live.data.includes(last) && Date.now() < deadline) await settle(20);
    await settle(300);
    const first = live.data[0] ?? -1;
    expect(first).toBeGreaterThanOrEqual(0);
    expect(live.data).toEqual(Array.from({ length: count - first }, (_, index) => first + index));
    const replay = new Inbox<number>();
    expect((await near.subscribe('room:x', replay.handler, { from: subscription.startPosition ?? '' })).replay).toBe('exact');
    await replay.waitFor(live.messages.length, 20_000);
    await settle(300);
    expect(ids(replay.messages), 'from startPosition: exactly what the joining subscription got').toEqual(ids(live.messages));
  });
});
