import type { MessageBus } from '@app/core';
import { Inbox, settle } from '@app/core/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deleteKeys, rawClient, readyBus, uniquePrefix } from './support/test-bus.js';

const url = inject('redisUrl');

describe('redis bus startPosition', () => {
  const prefix = uniquePrefix('start');
  let bus: MessageBus;
  let raw: Redis;

  beforeAll(async () => {
    bus = await readyBus({ url, keyPrefix: prefix, retryDelayMs: 20 });
    raw = rawClient(url);
  });

  afterAll(async () => {
    await bus.close();
    raw.disconnect();
    await deleteKeys(url, prefix);
  });

  it('is 0-0 on a channel whose stream does not exist yet, and from 0-0 replays exactly the new entries', async () => {
    const live = new Inbox<string>();
    const subscription = await bus.subscribe('fresh:1', live.handler);
    expect(subscription.startPosition).toBe('0-0');
    const receipts = [await bus.publish('fresh:1', 'a'), await bus.publish('fresh:1', 'b')];
    await live.waitFor(2, 5000);
    const replay = new Inbox<string>();
    const replaying = await bus.subscribe('fresh:1', replay.handler, { from: '0-0' });
    expect(replaying.replay).toBe('exact');
    expect(replaying.startPosition).toBe('0-0');
    await replay.waitFor(2, 5000);
    await settle(200);
    expect(replay.messages.map((message) => message.position)).toEqual(receipts.map((receipt) => receipt.position));
  });

  it('is the id of the newest entry, also one another tool added without an announcement', async () => {
    await bus.publish('tool:1', 'ours');
    // Not announced on pub/sub: only reading the stream finds it.
    const foreign = await raw.xadd(`${prefix}{tool}:tool:1`, '*', 'data', '"theirs"');
    const live = new Inbox<string>();
    const subscription = await bus.subscribe('tool:1', live.handler);
    expect(subscription.startPosition).toBe(foreign);
    await bus.publish('tool:1', 'next');
    await live.waitFor(1, 5000);
    await settle(200);
    expect(live.data).toEqual(['next']);
  });

  it('is from in canonical form (no leading zeros) for a from subscription', async () => {
    const receipt = await bus.publish('canon:1', 'x');
    const [ms, seq] = (receipt.position ?? '').split('-');
    const subscription = await bus.subscribe('canon:1', () => {}, { from: `000${ms}-0${seq}` });
    expect(subscription.startPosition).toBe(receipt.position);
  });
});
