import type { MessageBus } from '@app/core';
import { Inbox, settle } from '@app/core/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { streamKey } from '../src/keys.js';
import { deleteKeys, rawClient, readyBus, uniquePrefix } from './support/test-bus.js';

const url = inject('redisUrl');

describe('redis bus ephemeral publishes', () => {
  const prefix = uniquePrefix('ephemeral');
  let publisher: MessageBus;
  let subscriber: MessageBus;
  let raw: Redis;

  beforeAll(async () => {
    publisher = await readyBus({ url, keyPrefix: prefix });
    subscriber = await readyBus({ url, keyPrefix: prefix });
    raw = rawClient(url);
  });

  afterAll(async () => {
    await Promise.all([publisher.close(), subscriber.close()]);
    raw.disconnect();
    await deleteKeys(url, prefix);
  });

  it('a channel that only gets ephemeral messages has no stream key; they are delivered at position 0-0, a valid from', async () => {
    const channel = 'presence:only';
    const inbox = new Inbox<number>();
    await subscriber.subscribe(channel, inbox.handler);
    const before = Date.now();
    const receipts = await Promise.all([0, 1, 2].map((index) => publisher.publish(channel, index, { ephemeral: true, headers: { h: `${index}` } })));
    await inbox.waitFor(3, 5000);
    expect(inbox.data).toEqual([0, 1, 2]);
    expect(receipts.map((receipt) => receipt.position)).toEqual(['0-0', '0-0', '0-0']);
    expect(inbox.messages.map((message) => message.position)).toEqual(['0-0', '0-0', '0-0']);
    expect(inbox.messages[1]?.headers).toEqual({ h: '1' });
    expect(Math.abs((inbox.messages[0]?.timestamp ?? 0) - before), "dated by Redis's clock, not the predecessor's").toBeLessThan(60_000);
    expect(await raw.exists(streamKey(prefix, channel)), 'no stream key for an ephemeral-only channel').toBe(0);

    const resumed = new Inbox<string>();
    expect((await subscriber.subscribe(channel, resumed.handler, { from: '0-0' })).replay).toBe('exact');
    await publisher.publish(channel, 'stored');
    await resumed.waitFor(1, 5000);
    expect(resumed.data, 'from 0-0: everything stored').toEqual(['stored']);
    expect(await raw.exists(streamKey(prefix, channel))).toBe(1);
  });

  it('after stored messages: the position is the predecessor entry, nothing is added to the stream, and from it comes what was stored next', async () => {
    const channel = 'game:mixed';
    const inbox = new Inbox<string>();
    await subscriber.subscribe(channel, inbox.handler);
    const first = await publisher.publish(channel, 's1');
    const ephemeral = await publisher.publish(channel, 'e1', { ephemeral: true });
    const second = await publisher.publish(channel, 's2');
    await inbox.waitFor(3, 5000);
    expect(inbox.data).toEqual(['s1', 'e1', 's2']);
    expect(ephemeral.position, 'the id of the newest entry when it was published').toBe(first.position);
    expect(inbox.messages[1]?.position).toBe(first.position);
    expect(await raw.xlen(streamKey(prefix, channel)), 'two entries: the ephemeral message has none').toBe(2);

    const resumed = new Inbox<string>();
    await subscriber.subscribe(channel, resumed.handler, { from: ephemeral.position as string });
    await resumed.waitFor(1, 5000);
    await settle(200);
    expect(resumed.data).toEqual(['s2']);
    expect(resumed.messages[0]?.position).toBe(second.position);
  });

  it('whose predecessor the subscriber has not seen (an entry another tool added): the stream is read first, then it comes in its place', async () => {
    const channel = 'game:gap';
    const inbox = new Inbox<string>();
    await subscriber.subscribe(channel, inbox.handler);
    await publisher.publish(channel, 's1');
    // Not announced: the subscriber learns of it only from the ephemeral message naming it.
    const foreign = await raw.xadd(streamKey(prefix, channel), '*', 'data', '"foreign"');
    const ephemeral = await publisher.publish(channel, 'e1', { ephemeral: true });
    expect(ephemeral.position).toBe(foreign);
    await inbox.waitFor(3, 5000);
    await settle(200);
    expect(inbox.data).toEqual(['s1', 'foreign', 'e1']);
  });

  it('on a channel with a consumer group it is stored after all, and reaches the group and broadcast subscribers', async () => {
    const channel = 'game:grouped';
    const member = new Inbox<string>();
    const broadcast = new Inbox<string>();
    await subscriber.subscribe(channel, member.handler, { mode: 'group', group: 'workers' });
    await subscriber.subscribe(channel, broadcast.handler);
    const receipt = await publisher.publish(channel, 'e1', { ephemeral: true });
    await publisher.publish(channel, 's1');
    await member.waitFor(2, 5000);
    await broadcast.waitFor(2, 5000);
    expect([...member.data].sort()).toEqual(['e1', 's1']);
    expect(broadcast.data).toEqual(['e1', 's1']);
    expect(await raw.xlen(streamKey(prefix, channel))).toBe(2);
    expect(receipt.position, 'a stored message has its own entry').not.toBe('0-0');
  });
});
