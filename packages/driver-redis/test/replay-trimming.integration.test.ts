import type { MessageBus } from '@app/core';
import { expectBusError, Inbox, settle } from '@app/core/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deleteKeys, rawClient, readyBus, uniquePrefix } from './support/test-bus.js';

const url = inject('redisUrl');

describe('redis bus trimming and replay positions', () => {
  const prefix = uniquePrefix('trim');
  let bus: MessageBus;
  let raw: Redis;

  beforeAll(async () => {
    bus = await readyBus({ url, keyPrefix: prefix, streamMaxLen: 10 });
    raw = rawClient(url);
  });

  afterAll(async () => {
    await bus.close();
    raw.disconnect();
    await deleteKeys(url, prefix);
  });

  it('trims each stream to about streamMaxLen and replays a trimmed position as "truncated" from the oldest kept entry', async () => {
    const receipts = [];
    for (let index = 0; index < 300; index += 1) receipts.push(await bus.publish('room:trim', index));
    const key = `${prefix}{room}:room:trim`;
    // MAXLEN ~ trims whole radix-tree nodes (100 entries by default), so the stream keeps somewhat more than 10.
    const length = await raw.xlen(key);
    expect(length).toBeGreaterThanOrEqual(10);
    expect(length).toBeLessThan(300);
    const [oldest] = await raw.xrange(key, '-', '+', 'COUNT', 1);

    const inbox = new Inbox<number>();
    const subscription = await bus.subscribe('room:trim', inbox.handler, { from: receipts[0]?.position as string });
    expect(subscription.replay).toBe('truncated');
    await inbox.waitFor(length, 10_000, 'kept messages');
    expect(inbox.messages[0]?.position).toBe(oldest?.[0]);
    expect(inbox.data.at(-1)).toBe(299);
    await bus.publish('room:trim', 300);
    await inbox.waitFor(length + 1, 10_000, 'a live message after the replay');
    expect(inbox.data.at(-1)).toBe(300);
  });

  it('replays a kept position exactly, and from the newest position delivers only what comes next', async () => {
    const first = await bus.publish('room:exact', 'a');
    const newest = await bus.publish('room:exact', 'b');
    const fromFirst = new Inbox<string>();
    const fromNewest = new Inbox<string>();
    expect((await bus.subscribe('room:exact', fromFirst.handler, { from: first.position as string })).replay).toBe('exact');
    expect((await bus.subscribe('room:exact', fromNewest.handler, { from: newest.position as string })).replay).toBe('exact');
    await bus.publish('room:exact', 'c');
    await fromFirst.waitFor(2, 10_000);
    await fromNewest.waitFor(1, 10_000);
    await settle(200);
    expect(fromFirst.data).toEqual(['b', 'c']);
    expect(fromNewest.data).toEqual(['c']);
  });

  it('replays a position from a stream that was deleted and created again as "truncated"', async () => {
    const kept = await bus.publish('room:recreated', 'a');
    await bus.publish('room:recreated', 'lost with the stream');
    // What a Redis restart without persistence, or an operator's DEL, does to a channel.
    await raw.del(`${prefix}{room}:room:recreated`);
    // A new stream numbers its ids from Redis's clock again: let it move past the old ids.
    await settle(5);
    await bus.publish('room:recreated', 'c');
    const inbox = new Inbox<string>();
    const subscription = await bus.subscribe('room:recreated', inbox.handler, { from: kept.position as string });
    expect(subscription.replay).toBe('truncated');
    await inbox.waitFor(1, 10_000);
    expect(inbox.data).toEqual(['c']);
  });

  it('rejects malformed positions and positions ahead of the stream with invalid_position', async () => {
    await bus.publish('room:bad', 1);
    const inbox = new Inbox();
    for (const from of ['abc', '123', '1-2-3', '-1-0', '99999999999999999999999-0', ' 1-0']) {
      await expectBusError(() => bus.subscribe('room:bad', inbox.handler, { from }), 'invalid_position');
    }
    await expectBusError(() => bus.subscribe('room:bad', inbox.handler, { from: '9999999999999-0' }), 'invalid_position');
    // A channel that never had a stream keeps nothing: any well-formed position is truncated.
    expect((await bus.subscribe('room:never', inbox.handler, { from: '1700000000000-0' })).replay).toBe('truncated');
    expect(bus.status()).toBe('ready');
  });
});
