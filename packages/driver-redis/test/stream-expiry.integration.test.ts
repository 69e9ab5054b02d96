import { randomBytes } from 'node:crypto';
import type { MessageBus } from '@app/core';
import { Inbox, settle } from '@app/core/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { streamKey } from '../src/keys.js';
import { parsePairs } from '../src/replies.js';
import { clientsNamed, deleteKeys, rawClient, readyBus, uniquePrefix, waitUntil } from './support/test-bus.js';

const url = inject('redisUrl');

/**
 * What a subscriber sees once a channel's stream expired (streamTtlSeconds). The expiry is forced
 * with `PEXPIRE key 1` rather than waited out (stream-ttl.integration.test.ts waits out a real
 * 1 s TTL): the driver cannot tell the two apart, and this keeps the tests fast.
 */
describe('redis channel streams after they expired', () => {
  const prefix = uniquePrefix('expiry');
  let publisher: MessageBus;
  let subscriber: MessageBus;
  let raw: Redis;

  beforeAll(async () => {
    publisher = await readyBus({ url, keyPrefix: prefix, streamTtlSeconds: 60 });
    subscriber = await readyBus({ url, keyPrefix: prefix, streamTtlSeconds: 60, claimIdleMs: 200 });
    raw = rawClient(url);
  });

  afterAll(async () => {
    await Promise.all([publisher.close(), subscriber.close()]);
    raw.disconnect();
    await deleteKeys(url, prefix);
  });

  async function expire(key: string): Promise<void> {
    await raw.pexpire(key, 1);
    // EXISTS on an expired key removes it, so the key is gone for the bus too once this holds.
    await waitUntil(async () => (await raw.exists(key)) === 0, 2000, `${key} to expire`);
  }

  async function groupNames(key: string): Promise<string[]> {
    const reply: unknown = await raw.call('XINFO', 'GROUPS', key);
    return (Array.isArray(reply) ? reply : []).map((group) => String(parsePairs(group, 'XINFO GROUPS').get('name')));
  }

  it('from a position of the expired stream: truncated (never invalid_position), then the live messages', async () => {
    const channel = 'room:replay';
    const key = streamKey(prefix, channel);
    const first = await publisher.publish(channel, 'old-1');
    const newest = await publisher.publish(channel, 'old-2');
    await expire(key);

    const fromOld = new Inbox<string>();
    const fromNewest = new Inbox<string>();
    const a = await subscriber.subscribe(channel, fromOld.handler, { from: first.position as string });
    const b = await subscriber.subscribe(channel, fromNewest.handler, { from: newest.position as string });
    expect(a.replay, 'what came after it is gone with the stream').toBe('truncated');
    expect(b.replay, 'the stream is gone, so even the newest position is reported as a possible gap').toBe('truncated');
    expect(a.startPosition).toBe(first.position);

    await publisher.publish(channel, 'new-1');
    await publisher.publish(channel, 'new-2');
    await fromOld.waitFor(2, 5000);
    await fromNewest.waitFor(2, 5000);
    await settle(200);
    expect(fromOld.data).toEqual(['new-1', 'new-2']);
    expect(fromNewest.data).toEqual(['new-1', 'new-2']);
    const ttl = await raw.ttl(key);
    expect(ttl, 'the new stream has the TTL again').toBeGreaterThanOrEqual(1);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('a live subscriber across the expiry gets what is published after it, in order and once', async () => {
    const channel = 'room:live';
    const key = streamKey(prefix, channel);
    const inbox = new Inbox<string>();
    await subscriber.subscribe(channel, inbox.handler);
    await publisher.publish(channel, 'before');
    await inbox.waitFor(1, 5000);
    await expire(key);
    // The new stream's first announcement names no predecessor: the subscriber reads the stream after its last id.
    await publisher.publish(channel, 'after-1');
    await publisher.publish(channel, 'after-2');
    await inbox.waitFor(3, 5000);
    await settle(200);
    expect(inbox.data).toEqual(['before', 'after-1', 'after-2']);
  });

  it('a subscriber whose pub/sub connection dropped while its stream expired ends with position_expired, and from its last position resumes as truncated', async () => {
    const channel = 'room:reconnect';
    const key = streamKey(prefix, channel);
    const clientName = `expiry-${randomBytes(3).toString('hex')}`;
    const cut = await readyBus({ url, keyPrefix: prefix, clientName });
    try {
      const inbox = new Inbox<string>();
      const errors: Error[] = [];
      await cut.subscribe(channel, inbox.handler, { onError: (error) => errors.push(error) });
      const before = await publisher.publish(channel, 'before');
      await inbox.waitFor(1, 5000);
      await expire(key);
      for (const client of await clientsNamed(raw, `${clientName}:subscriber`)) await raw.call('CLIENT', ['KILL', 'ID', client.id]);
      // A missing stream cannot say whether entries after the last id came and went, so it errs towards a gap, as after trimming.
      await waitUntil(() => errors.length > 0, 10_000, 'position_expired');
      expect(errors[0]).toMatchObject({ reason: 'position_expired', isRetryable: true });

      const resumed = new Inbox<string>();
      const again = await cut.subscribe(channel, resumed.handler, { from: before.position as string });
      expect(again.replay).toBe('truncated');
      await publisher.publish(channel, 'after');
      await resumed.waitFor(1, 5000);
      expect(resumed.data).toEqual(['after']);
    } finally {
      await cut.close();
    }
  });

  it('a group channel: MKSTREAM leaves no TTL, the first publish sets it, and the next subscribe re-creates an expired group', async () => {
    const channel = 'jobs:regroup';
    const key = streamKey(prefix, channel);
    const first = new Inbox<string>();
    const member = await subscriber.subscribe(channel, first.handler, { mode: 'group', group: 'workers' });
    expect(await raw.ttl(key), 'XGROUP CREATE ... MKSTREAM made the key, without a TTL').toBe(-1);
    await publisher.publish(channel, 'job-1');
    await first.waitFor(1, 5000);
    expect(await raw.ttl(key), 'the first publish set it').toBeGreaterThanOrEqual(1);
    await member.unsubscribe();

    await expire(key);
    const second = new Inbox<string>();
    await subscriber.subscribe(channel, second.handler, { mode: 'group', group: 'workers' });
    expect(await groupNames(key), 'the group is back, on a new empty stream').toEqual(['workers']);
    await publisher.publish(channel, 'job-2');
    await second.waitFor(1, 5000);
    expect(second.data).toEqual(['job-2']);
  });

  it('a group member subscribed across the expiry re-creates its group (NOGROUP) and gets what is published after', async () => {
    const channel = 'jobs:member';
    const key = streamKey(prefix, channel);
    const inbox = new Inbox<string>();
    await subscriber.subscribe(channel, inbox.handler, { mode: 'group', group: 'workers' });
    await publisher.publish(channel, 'job-1');
    await inbox.waitFor(1, 5000);
    await expire(key);
    // This publish makes a new stream without the group: the member's next read meets NOGROUP and re-creates it at 0.
    await publisher.publish(channel, 'job-2');
    await inbox.waitFor(2, 5000);
    expect(inbox.data).toEqual(['job-1', 'job-2']);
    expect(await groupNames(key)).toEqual(['workers']);
  });
});
