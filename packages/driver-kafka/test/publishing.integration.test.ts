import { Inbox } from '@app/core/testing';
import { createKafkaBus, type KafkaBusOptions } from '@app/driver-kafka';
import type { Message, MessageBus, PublishReceipt } from '@app/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { testBrokers, testBus, uniqueName } from './bus-factory.js';
import { cleanUpPrefix } from './raw-kafka.js';

const topicPrefix = `${uniqueName('pub')}.`;
const buses: MessageBus[] = [];

async function bus(options: KafkaBusOptions = {}): Promise<MessageBus> {
  const created = await testBus({ topicPrefix, partitions: 4, ...options });
  buses.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(buses.splice(0).map((item) => item.close()));
});
afterAll(() => cleanUpPrefix(topicPrefix));

/** Publishes `perChannel` messages on each channel, interleaved, without awaiting any of them. */
function flood(publisher: MessageBus, channels: string[], perChannel: number, payload = ''): Promise<PublishReceipt[]> {
  const calls: Promise<PublishReceipt>[] = [];
  for (let seq = 0; seq < perChannel; seq += 1) {
    for (const channel of channels) calls.push(publisher.publish(channel, { channel, seq, payload }));
  }
  return Promise.all(calls);
}

function checkDeliveries(messages: Message<{ channel: string; seq: number }>[], receipts: PublishReceipt[], channels: string[], perChannel: number): void {
  expect(messages).toHaveLength(channels.length * perChannel);
  const byId = new Map(receipts.map((receipt) => [receipt.id, receipt]));
  for (const channel of channels) {
    const mine = messages.filter((message) => message.channel === channel);
    expect(mine.map((message) => message.data.seq)).toEqual(Array.from({ length: perChannel }, (_, seq) => seq));
    // A channel lives on one partition.
    expect(new Set(mine.map((message) => message.position.split('/')[1])).size).toBe(1);
  }
  // The receipt's position is where the record really landed: what the subscriber sees.
  for (const message of messages) expect(byId.get(message.id)?.position).toBe(message.position);
  expect(new Set(receipts.map((receipt) => receipt.position)).size).toBe(receipts.length);
}

describe('publishing over several partitions and brokers', () => {
  it('keeps each channel in order and gives every publish the position it was stored at', async () => {
    const publisher = await bus();
    const subscriber = await bus();
    const channels = Array.from({ length: 40 }, (_, index) => `room:${index}`);
    const inbox = new Inbox<{ channel: string; seq: number }>();
    for (const channel of channels) await subscriber.subscribe(channel, inbox.handler);
    const receipts = await flood(publisher, channels, 10);
    await inbox.waitFor(400, 30_000, 'every publish');
    checkDeliveries(inbox.messages, receipts, channels, 10);
  });

  it('splits what queued up into requests of at most batchMaxBytes, still in order', async () => {
    const publisher = await bus({ batchMaxBytes: 1024, lingerMs: 50 });
    const subscriber = await bus();
    const channels = ['split:a', 'split:b', 'split:c'];
    const inbox = new Inbox<{ channel: string; seq: number }>();
    for (const channel of channels) await subscriber.subscribe(channel, inbox.handler);
    const receipts = await flood(publisher, channels, 8, 'x'.repeat(700));
    await inbox.waitFor(24, 30_000, 'every publish');
    checkDeliveries(inbox.messages, receipts, channels, 8);
  });

  it('sends at once with lingerMs 0, and refuses a linger or batch size out of range', async () => {
    const publisher = await bus({ lingerMs: 0 });
    const inbox = new Inbox<{ channel: string; seq: number }>();
    await publisher.subscribe('now:1', inbox.handler);
    const receipts = await flood(publisher, ['now:1'], 5);
    await inbox.waitFor(5, 20_000, 'every publish');
    checkDeliveries(inbox.messages, receipts, ['now:1'], 5);
    for (const options of [{ lingerMs: -1 }, { lingerMs: 1.5 }, { batchMaxBytes: 100 }, { batchMaxBytes: 8 * 1024 * 1024 }]) {
      await expect(createKafkaBus({ brokers: testBrokers(), topicPrefix, ...options }), JSON.stringify(options)).rejects.toMatchObject({ reason: 'invalid_options' });
    }
  });
});
