import { randomBytes } from 'node:crypto';
import type { MessageBus } from '@app/core';
import { Inbox, settle } from '@app/core/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deleteKeys, rawClient, readyBus, uniquePrefix } from './support/test-bus.js';

const url = inject('redisUrl');

interface ClientInfo {
  readonly name: string;
  readonly addr: string;
}

async function clientsNamed(raw: Redis, prefix: string): Promise<ClientInfo[]> {
  const list = (await raw.call('CLIENT', ['LIST'])) as string;
  return list
    .split('\n')
    .map((line) => Object.fromEntries(line.split(' ').map((field) => field.split('=') as [string, string])))
    .filter((fields) => typeof fields['name'] === 'string' && fields['name'].startsWith(prefix))
    .map((fields) => ({ name: fields['name'] as string, addr: fields['addr'] as string }));
}

describe('redis bus connections', () => {
  const prefix = uniquePrefix('conn');
  const clientName = `conn-${randomBytes(3).toString('hex')}`;
  let reader: MessageBus;
  let publisher: MessageBus;
  let raw: Redis;

  beforeAll(async () => {
    // A long block time: subscriptions added later must still take effect at once (CLIENT UNBLOCK).
    reader = await readyBus({ url, keyPrefix: prefix, clientName, blockMs: 60_000 });
    publisher = await readyBus({ url, keyPrefix: prefix });
    raw = rawClient(url);
  });

  afterAll(async () => {
    await Promise.all([reader.close(), publisher.close()]);
    raw.disconnect();
    await deleteKeys(url, prefix);
  });

  it('uses one command and one reader connection, however many subscriptions', async () => {
    for (let index = 0; index < 20; index += 1) await reader.subscribe(`lobby:${index}`, () => {});
    await reader.subscribe('work:a', () => {}, { mode: 'group', group: 'g1' });
    await reader.subscribe('work:b', () => {}, { mode: 'group', group: 'g2' });
    const names = (await clientsNamed(raw, `${clientName}:`)).map((client) => client.name).sort();
    expect(names).toEqual([`${clientName}:command`, `${clientName}:reader`]);
  });

  it('a subscription added while the blocking read waits is served without waiting for the block to end', async () => {
    await reader.subscribe('late:one', () => {});
    await settle(200);
    const inbox = new Inbox();
    await reader.subscribe('late:two', inbox.handler);
    await publisher.publish('late:two', 'prompt');
    // blockMs is 60 s: arriving well before that shows the read in flight was interrupted.
    await inbox.waitFor(1, 10_000, 'a message on a channel subscribed during a blocking read');
  });

  it('reads only the streams of subscribed channels, many in one XREAD (no firehose)', async () => {
    const monitor = await raw.duplicate().monitor();
    const mine = new Set((await clientsNamed(raw, `${clientName}:`)).map((client) => client.addr));
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (mine.has(source)) seen.push(args);
    });
    try {
      const inbox = new Inbox();
      await reader.subscribe('watched:x', inbox.handler);
      for (let index = 0; index < 30; index += 1) await publisher.publish('unwatched:y', index);
      await publisher.publish('watched:x', 'hello');
      await inbox.waitFor(1, 10_000);
      await settle(200);
    } finally {
      monitor.disconnect();
    }
    const unwatchedKey = `${prefix}{unwatched}:unwatched:y`;
    expect(seen.filter((args) => args.includes(unwatchedKey)), 'commands naming the unwatched stream').toEqual([]);
    const reads = seen.filter((args) => args[0]?.toLowerCase() === 'xread');
    expect(reads.length).toBeGreaterThan(0);
    const largest = Math.max(...reads.map((args) => args.filter((arg) => arg.startsWith(prefix)).length));
    expect(largest, 'stream keys named by one XREAD').toBeGreaterThanOrEqual(20);
  });
});
