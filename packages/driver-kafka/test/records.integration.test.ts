import { Inbox } from '@app/core/testing';
import type { MessageBus } from '@app/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { testBus, uniqueName } from './bus-factory.js';
import { cleanUpPrefix, rawKafka, readRecords } from './raw-kafka.js';

const topicPrefix = `${uniqueName('rec')}.`;
const buses: MessageBus[] = [];

async function bus(): Promise<MessageBus> {
  const created = await testBus({ topicPrefix, clientId: 'records-test', ceSource: '/tests/records' });
  buses.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(buses.splice(0).map((item) => item.close()));
});
afterAll(() => cleanUpPrefix(topicPrefix));

async function produceRaw(topic: string, messages: { key: string | null; value: string | null }[]): Promise<void> {
  const producer = rawKafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, messages, acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

describe('kafka records', () => {
  it('maps a channel to topic <prefix><namespace>, key = channel, JSON value and CloudEvents headers', async () => {
    const publisher = await bus();
    const before = Date.now();
    const receipt = await publisher.publish('game:42', { move: 'e4' }, { headers: { 'x-trace': 't1', ce_type: 'user-value' } });
    const [record] = await readRecords(`${topicPrefix}game`, 1);
    expect(record?.key?.toString()).toBe('game:42');
    expect(JSON.parse(record?.value?.toString() ?? 'null')).toEqual({ move: 'e4' });
    const headers = Object.fromEntries(Object.entries(record?.headers ?? {}).map(([name, value]) => [name, String(value)]));
    expect(headers).toMatchObject({
      ce_specversion: '1.0',
      ce_id: receipt.id,
      ce_source: '/tests/records',
      ce_type: 'app.bus.message',
      'content-type': 'application/json',
      'x-trace': 't1',
      // A user header that would collide with CloudEvents travels escaped.
      'x-bus-ce_type': 'user-value',
    });
    expect(Math.abs(Date.parse(headers['ce_time'] ?? '') - before)).toBeLessThan(60_000);
    expect(receipt.position).toMatch(new RegExp(`^${topicPrefix.replace('.', '\\.')}game/\\d+/${record?.offset}$`));
  });

  it('gives subscribers the user headers back unescaped', async () => {
    const both = await bus();
    const inbox = new Inbox();
    await both.subscribe('lobby:main', inbox.handler);
    await both.publish('lobby:main', 1, { headers: { ce_type: 'mine', 'content-type': 'x', 'x-bus-own': 'y', plain: 'z' } });
    const [message] = await inbox.waitFor(1, 20_000);
    expect(message?.headers).toEqual({ ce_type: 'mine', 'content-type': 'x', 'x-bus-own': 'y', plain: 'z' });
  });

  it('delivers a record of another Kafka client (no headers) with an id derived from topic, partition and offset', async () => {
    const subscriber = await bus();
    const inbox = new Inbox();
    await subscriber.subscribe('game:42', inbox.handler);
    const before = Date.now();
    await produceRaw(`${topicPrefix}game`, [{ key: 'game:42', value: JSON.stringify({ from: 'java' }) }]);
    const [message] = await inbox.waitFor(1, 20_000);
    expect(message?.data).toEqual({ from: 'java' });
    expect(message?.channel).toBe('game:42');
    expect(message?.headers).toEqual({});
    const [, partition, offset] = (message?.position ?? '').split('/');
    expect(message?.id).toBe(`kafka:${topicPrefix}game:${partition}:${offset}`);
    expect(Math.abs((message?.timestamp ?? 0) - before)).toBeLessThan(60_000);
  });

  it('hands over the record value as dataJson, exactly as carried, next to the decoded data', async () => {
    const subscriber = await bus();
    const inbox = new Inbox();
    await subscriber.subscribe('game:43', inbox.handler);
    const text = '{ "from" : "java",  "n": [1, 2.50] }';
    await produceRaw(`${topicPrefix}game`, [{ key: 'game:43', value: text }]);
    const [message] = await inbox.waitFor(1, 20_000);
    expect(message?.dataJson).toBe(text);
    expect(message?.data).toEqual({ from: 'java', n: [1, 2.5] });
  });

  it('reports records with a bad key or a non-JSON value through onError, skips them and goes on', async () => {
    const subscriber = await bus();
    const inbox = new Inbox();
    const errors: Error[] = [];
    await subscriber.subscribe('game:7', inbox.handler, { onError: (error) => errors.push(error) });
    // All on one key where possible, so they share a partition with the good record after them.
    await produceRaw(`${topicPrefix}game`, [
      { key: 'game:7', value: '{not json' },
      { key: 'not a channel!', value: '1' },
      { key: null, value: '2' },
      { key: 'other:1', value: '3' },
      { key: 'game:7', value: '"good"' },
    ]);
    await inbox.waitFor(1, 20_000);
    expect(inbox.data).toEqual(['good']);
    const deadline = Date.now() + 10_000;
    while (errors.length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const text = errors.map((error) => error.message).join('\n');
    expect(text).toContain('not JSON');
    expect(text).toContain('key is not a channel');
    expect(text).toContain('belongs to topic');
    expect(subscriber.status()).toBe('ready');
  });

  it('replays from a position older than retention as "truncated", from the oldest record kept', async () => {
    const publisher = await bus();
    const receipts = [];
    for (let index = 0; index < 6; index += 1) receipts.push(await publisher.publish('replay:x', index));
    const [topic, partition, thirdOffset] = (receipts[3]?.position ?? '').split('/');
    const admin = rawKafka().admin();
    await admin.connect();
    try {
      // kafkajs needs the topic's metadata loaded before it can find the partition leaders.
      await admin.fetchTopicMetadata({ topics: [topic ?? ''] });
      await admin.deleteTopicRecords({ topic: topic ?? '', partitions: [{ partition: Number(partition), offset: thirdOffset ?? '0' }] });
    } finally {
      await admin.disconnect();
    }
    const inbox = new Inbox<number>();
    const truncated = await publisher.subscribe('replay:x', inbox.handler, { from: receipts[0]?.position ?? '' });
    expect(truncated.replay).toBe('truncated');
    await inbox.waitFor(3, 20_000);
    expect(inbox.data).toEqual([3, 4, 5]);
    const exact = new Inbox<number>();
    const fromKept = await publisher.subscribe('replay:x', exact.handler, { from: receipts[3]?.position ?? '' });
    expect(fromKept.replay).toBe('exact');
    await exact.waitFor(2, 20_000);
    expect(exact.data).toEqual([4, 5]);
  });

  it('refuses positions it never handed out with invalid_position', async () => {
    const subscriber = await bus();
    const receipt = await subscriber.publish('pos:a', 1);
    const [topic, partition, offset] = (receipt.position ?? '').split('/');
    const bad = [`${topic}/${partition}/${BigInt(offset ?? '0') + 1000n}`, `${topic}/99/0`, `${topicPrefix}elsewhere/0/0`, 'abc', `${topic}/0/-1`];
    for (const from of bad) {
      await expect(subscriber.subscribe('pos:a', () => {}, { from })).rejects.toMatchObject({ name: 'BusError', reason: 'invalid_position' });
    }
  });
});
