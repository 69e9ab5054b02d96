import { isBusError, silentLogger, type MessageBus } from '@app/core';
import { expectBusError } from '@app/core/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisBus, driver } from '../src/index.js';
import { streamKey } from '../src/keys.js';
import { deleteKeys, rawClient, readyBus, uniquePrefix, waitUntil } from './support/test-bus.js';

const url = inject('redisUrl');

/** The setting's ceiling: ten years in seconds. */
const MAX_TTL_S = 10 * 365 * 86_400;

describe('redis stream TTL (streamTtlSeconds)', () => {
  const prefix = uniquePrefix('ttl');
  const TTL_S = 60;
  let bus: MessageBus;
  let raw: Redis;

  beforeAll(async () => {
    bus = await readyBus({ url, keyPrefix: prefix, streamTtlSeconds: TTL_S });
    raw = rawClient(url);
  });

  afterAll(async () => {
    await bus.close();
    raw.disconnect();
    await deleteKeys(url, prefix);
  });

  it('a stored publish sets the TTL of its stream to the setting', async () => {
    const key = streamKey(prefix, 'room:set');
    await bus.publish('room:set', 'first');
    const ttl = await raw.ttl(key);
    expect(ttl).toBeGreaterThanOrEqual(1);
    expect(ttl).toBeLessThanOrEqual(TTL_S);
  });

  it('a later stored publish sets it again, also for a burst that leaves as one script call', async () => {
    const channel = 'room:refresh';
    const key = streamKey(prefix, channel);
    await bus.publish(channel, 'first');
    // Shortened behind the bus's back, so a refresh is told apart from the first EXPIRE.
    await raw.expire(key, 5);
    await bus.publish(channel, 'second');
    expect(await raw.ttl(key), 'refreshed to the setting').toBeGreaterThan(5);

    await raw.expire(key, 5);
    await Promise.all(['a', 'b', 'c', 'd'].map((data) => bus.publish(channel, data)));
    expect(await raw.xlen(key)).toBe(6);
    expect(await raw.ttl(key), 'a burst refreshes it too').toBeGreaterThan(5);
  });

  it('an ephemeral-only channel has no key at all, and an ephemeral publish does not refresh a stream', async () => {
    await bus.publish('room:ephemeral', 'e1', { ephemeral: true });
    expect(await raw.exists(streamKey(prefix, 'room:ephemeral')), 'no stream, so no TTL to set').toBe(0);

    const channel = 'room:mixed';
    const key = streamKey(prefix, channel);
    await bus.publish(channel, 'stored');
    await raw.expire(key, 5);
    await bus.publish(channel, 'e1', { ephemeral: true });
    expect(await raw.ttl(key), 'left as it was').toBeLessThanOrEqual(5);
    expect(await raw.ttl(key)).toBeGreaterThanOrEqual(1);
  });

  it('streamTtlSeconds: 0 leaves streams without a TTL', async () => {
    const keepPrefix = uniquePrefix('ttl0');
    const keeping = await readyBus({ url, keyPrefix: keepPrefix, streamTtlSeconds: 0 });
    try {
      await keeping.publish('room:kept', 'stored');
      expect(await raw.ttl(streamKey(keepPrefix, 'room:kept')), 'exists, no expiry').toBe(-1);
    } finally {
      await keeping.close();
      await deleteKeys(url, keepPrefix);
    }
  });

  it('a stream idle for its TTL is gone (a real 1 s TTL, waited out)', async () => {
    const shortPrefix = uniquePrefix('ttl1');
    const short = await readyBus({ url, keyPrefix: shortPrefix, streamTtlSeconds: 1 });
    try {
      const key = streamKey(shortPrefix, 'room:short');
      await short.publish('room:short', 'stored');
      expect(await raw.exists(key)).toBe(1);
      // EXPIRE 1 ends within 1 s; 2.1 s leaves room for Redis's clock granularity.
      await waitUntil(async () => (await raw.exists(key)) === 0, 2100, 'the stream to expire');
    } finally {
      await short.close();
      await deleteKeys(url, shortPrefix);
    }
  });
});

describe('redis stream TTL setting', () => {
  it('defaults to one day and is listed for --help', () => {
    const listed = driver.settings.find((setting) => setting.env === 'REDIS_STREAM_TTL_S');
    expect(listed?.default).toBe('86400');
    expect(listed?.description).toContain('0 keeps it for ever');
  });

  it.each([-1, 1.5, MAX_TTL_S + 1])('streamTtlSeconds: %s is refused with invalid_options before connecting', async (value) => {
    const error = await expectBusError(async () => createRedisBus({ streamTtlSeconds: value }), 'invalid_options');
    expect(error.message).toContain('streamTtlSeconds');
  });

  it('accepts the bounds 0 and ten years', async () => {
    for (const value of [0, MAX_TTL_S]) {
      const bus = createRedisBus({ url: inject('redisUrl'), streamTtlSeconds: value, logger: silentLogger });
      expect(bus.driver).toBe('redis');
      await bus.close();
    }
  });

  it.each(['-1', 'day', String(MAX_TTL_S + 1)])('REDIS_STREAM_TTL_S=%s is a config error naming the variable', (value) => {
    let caught: unknown;
    try {
      driver.create({ REDIS_STREAM_TTL_S: value }, { logger: silentLogger });
    } catch (error) {
      caught = error;
    }
    expect(isBusError(caught) && caught.reason).toBe('config');
    expect((caught as Error).message).toContain('REDIS_STREAM_TTL_S');
  });
});
