import { delay, type BusLogger, type Message, type MessageBus } from '@app/core';
import { Inbox } from '@app/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { testBus, uniqueName } from './bus-factory.js';
import { cleanUpPrefix, rawKafka } from './raw-kafka.js';

const topicPrefix = `${uniqueName('dispatch')}.`;
const buses: MessageBus[] = [];
/** Long enough for a consumer that kafkajs restarted to fetch the batch again. */
const QUIET_MS = 3000;

afterEach(async () => {
  await Promise.all(buses.splice(0).map((item) => item.close()));
});
afterAll(() => cleanUpPrefix(topicPrefix));

async function bus(options: Parameters<typeof testBus>[0] = {}): Promise<MessageBus> {
  // One partition: every publish of a test lands in the same fetched batch.
  const created = await testBus({ topicPrefix, partitions: 1, ...options });
  buses.push(created);
  return created;
}

const ids = (messages: readonly Message[]): string[] => messages.map((message) => message.id);

describe('kafka broadcast dispatch', () => {
  it('a handler that throws synchronously gets each message once, errors go to onError, the batch is not fetched again', async () => {
    const both = await bus();
    const thrown: string[] = [];
    const reported: string[] = [];
    await both.subscribe(
      'game:throws',
      (message) => {
        thrown.push(message.id);
        throw new Error(`handler failed on ${message.id}`);
      },
      { onError: (_error, message) => reported.push(message?.id ?? '?') },
    );
    const inbox = new Inbox();
    await both.subscribe('game:fine', inbox.handler);
    const receipts = await Promise.all(Array.from({ length: 20 }, (_, index) => index).map((index) => both.publish(index % 2 === 0 ? 'game:throws' : 'game:fine', index)));
    await inbox.waitFor(10, 20_000);
    await delay(QUIET_MS);
    const sentThrows = receipts.filter((_, index) => index % 2 === 0).map((receipt) => receipt.id);
    expect(thrown).toEqual(sentThrows);
    expect(reported).toEqual(sentThrows);
    expect(ids(inbox.messages)).toEqual(receipts.filter((_, index) => index % 2 === 1).map((receipt) => receipt.id));
  });

  it('an error path that throws (a failing logger) does not make the consumer deliver the batch again', async () => {
    const failing: BusLogger = {
      debug() {},
      info() {},
      error() {},
      warn(_details, message) {
        // A bad record for a subscription without onError is logged as 'subscription error'.
        if (message === 'subscription error') throw new Error('log destination is gone');
      },
    };
    const both = await bus({ logger: failing });
    const bad = new Inbox();
    await both.subscribe('game:bad', bad.handler);
    const inbox = new Inbox();
    await both.subscribe('game:fine', inbox.handler);
    // One request, so one batch: the bad record (not JSON) sits in the middle of it.
    const values = Array.from({ length: 10 }, (_, index) => ({ key: 'game:fine', value: JSON.stringify(index) }));
    const producer = rawKafka().producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({ topic: `${topicPrefix}game`, acks: -1, messages: [...values.slice(0, 5), { key: 'game:bad', value: '{not json' }, ...values.slice(5)] });
    } finally {
      await producer.disconnect();
    }
    await inbox.waitFor(10, 20_000);
    await delay(QUIET_MS);
    expect(inbox.data).toEqual(Array.from({ length: 10 }, (_, index) => index));
    expect(bad.messages).toEqual([]);
  });
});
