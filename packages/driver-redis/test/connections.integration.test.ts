import { randomBytes } from 'node:crypto';
import type { MessageBus } from '@app/core';
import { Inbox, settle } from '@app/core/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clientsNamed, deleteKeys, rawClient, readyBus, uniquePrefix } from './support/test-bus.js';

const url = inject('redisUrl');

describe('redis bus connections', () => {
  const prefix = uniquePrefix('conn');
  const clientName = `conn-${randomBytes(3).toString('hex')}`;
  let reader: MessageBus;
  let publisher: MessageBus;
  let raw: Redis;

  beforeAll(async () => {
    reader = await readyBus({ url, keyPrefix: prefix, clientName });
    publisher = await readyBus({ url, keyPrefix: prefix });
    raw = rawClient(url);
  });

  afterAll(async () => {
    await Promise.all([reader.close(), publisher.close()]);
    raw.disconnect();
    await deleteKeys(url, prefix);
  });

  it('uses one command and one pub/sub connection, however many subscriptions', async () => {
    for (let index = 0; index < 20; index += 1) await reader.subscribe(`lobby:${index}`, () => {});
    await reader.subscribe('work:a', () => {}, { mode: 'group', group: 'g1' });
    await reader.subscribe('work:b', () => {}, { mode: 'group', group: 'g2' });
    const names = (await clientsNamed(raw, `${clientName}:`)).map((client) => client.name).sort();
    expect(names).toEqual([`${clientName}:command`, `${clientName}:subscriber`]);
  });

  it('delivers live messages from pub/sub alone: no stream read per message, nothing about unwatched channels', async () => {
    const monitor = await raw.duplicate().monitor();
    const mine = new Set((await clientsNamed(raw, `${clientName}:`)).map((client) => client.addr));
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (mine.has(source)) seen.push(args);
    });
    const inbox = new Inbox<number>();
    try {
      await reader.subscribe('watched:x', inbox.handler);
      for (let index = 0; index < 30; index += 1) await publisher.publish('unwatched:y', index);
      for (let index = 0; index < 30; index += 1) await publisher.publish('watched:x', index);
      await inbox.waitFor(30, 10_000);
      await settle(200);
    } finally {
      monitor.disconnect();
    }
    expect(inbox.data).toEqual(Array.from({ length: 30 }, (_, index) => index));
    const unwatchedKey = `${prefix}{unwatched}:unwatched:y`;
    expect(seen.filter((args) => args.includes(unwatchedKey)), 'commands naming the unwatched stream').toEqual([]);
    const reads = seen.filter((args) => ['xread', 'xrange', 'xrevrange'].includes(args[0]?.toLowerCase() ?? ''));
    // One XREVRANGE at subscribe finds the start; the 30 messages themselves cost no read.
    expect(reads.map((args) => args[0]?.toLowerCase())).toEqual(['xrevrange']);
    expect(seen.some((args) => args[0]?.toLowerCase() === 'subscribe' && args.includes(`${prefix}{watched}:watched:x`))).toBe(true);
  });
});
