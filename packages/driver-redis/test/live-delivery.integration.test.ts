import { randomBytes } from 'node:crypto';
import { isBusError, type MessageBus } from '@app/core';
import { Inbox, settle } from '@app/core/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clientsNamed, deleteKeys, rawClient, readyBus, uniquePrefix, waitUntil } from './support/test-bus.js';

const url = inject('redisUrl');
const range = (count: number): number[] => Array.from({ length: count }, (_, index) => index);

/** Redis's client id of the connection named `name`. */
async function clientId(raw: Redis, name: string): Promise<string> {
  const [client] = (await clientsNamed(raw, name)).filter((candidate) => candidate.name === name);
  if (client === undefined) throw new Error(`no Redis client named ${name}`);
  return client.id;
}

describe('redis bus live delivery over pub/sub', () => {
  const prefix = uniquePrefix('live');
  const clientName = `live-${randomBytes(3).toString('hex')}`;
  let subscriber: MessageBus;
  let publisher: MessageBus;
  let raw: Redis;

  beforeAll(async () => {
    subscriber = await readyBus({ url, keyPrefix: prefix, clientName });
    publisher = await readyBus({ url, keyPrefix: prefix });
    raw = rawClient(url);
  });

  afterAll(async () => {
    await Promise.all([subscriber.close(), publisher.close()]);
    raw.disconnect();
    await deleteKeys(url, prefix);
  });

  it('a pub/sub connection killed mid-stream loses nothing: what was announced meanwhile is read from the stream', async () => {
    const inbox = new Inbox<number>();
    await subscriber.subscribe('room:kill', inbox.handler);
    const killAt = 150;
    for (const index of range(400)) {
      if (index === killAt) {
        await raw.call('CLIENT', ['KILL', 'ID', await clientId(raw, `${clientName}:subscriber`)]);
      }
      // Not awaited one by one: a steady stream keeps publishing while the subscriber reconnects.
      void publisher.publish('room:kill', index);
      if (index % 20 === 19) await settle(10);
    }
    await inbox.waitFor(400, 15_000, 'every message across the reconnect');
    await settle(200);
    expect(inbox.data).toEqual(range(400));
    expect(subscriber.status()).toBe('ready');
  });

  it('a pub/sub connection lost while its stream is trimmed past the last entry delivered ends with position_expired, not a silent gap', async () => {
    const trimming = await readyBus({ url, keyPrefix: prefix, streamMaxLen: 10 });
    try {
      const inbox = new Inbox<number>();
      const errors: Error[] = [];
      await subscriber.subscribe<number>('room:lost', inbox.handler, { onError: (error) => errors.push(error) });
      await trimming.publish('room:lost', 0);
      await inbox.waitFor(1, 10_000);
      await raw.call('CLIENT', ['KILL', 'ID', await clientId(raw, `${clientName}:subscriber`)]);
      // While it reconnects (100 ms at the least), 300 more entries trim the stream far past entry 0.
      await Promise.all(range(300).map((index) => trimming.publish('room:lost', index + 1)));
      await waitUntil(() => errors.length > 0 || inbox.data.length === 301, 15_000, 'every message or one position_expired');
      await settle(300);
      expect(inbox.data, 'what was delivered is a gap-free prefix').toEqual(range(inbox.data.length));
      if (inbox.data.length < 301) {
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatchObject({ reason: 'position_expired', isRetryable: true });
      }
    } finally {
      await trimming.close();
    }
  });

  it('a subscriber that missed an announcement notices from the next one and reads the gap from the stream', async () => {
    const inbox = new Inbox<unknown>();
    await subscriber.subscribe('room:gap', inbox.handler);
    await publisher.publish('room:gap', 'first');
    await inbox.waitFor(1, 10_000);
    // Stored but never announced, as if the announcement had been lost.
    await raw.xadd(`${prefix}{room}:room:gap`, '*', 'id', 'silent', 'data', '"unannounced"');
    await publisher.publish('room:gap', 'third');
    await inbox.waitFor(3, 10_000, 'the unannounced entry and the next message');
    await settle(100);
    expect(inbox.data).toEqual(['first', 'unannounced', 'third']);
    expect(inbox.messages.map((message) => message.id)).toEqual([expect.any(String), 'silent', expect.any(String)]);
  });

  it("ignores what someone else PUBLISHes on a channel's pub/sub name, reporting it, and keeps delivering", async () => {
    const errors: Error[] = [];
    const inbox = new Inbox<string>();
    await subscriber.subscribe('room:noise', inbox.handler, { onError: (error) => errors.push(error) });
    await raw.publish(`${prefix}{room}:room:noise`, 'not an announcement');
    await publisher.publish('room:noise', 'real');
    await inbox.waitFor(1, 10_000);
    await waitUntil(() => errors.length === 1, 5000, 'the foreign announcement reported');
    expect(inbox.data).toEqual(['real']);
    expect(isBusError(errors[0]) && errors[0].reason).toBe('invalid_data');
  });

  it('carries the JSON text of the data as dataJson, live and from the stream', async () => {
    const live = new Inbox();
    await subscriber.subscribe('room:json', live.handler);
    const receipt = await publisher.publish('room:json', { move: [1, 2], who: 'ann' });
    await live.waitFor(1, 10_000);
    const replayed = new Inbox();
    await subscriber.subscribe('room:json', replayed.handler, { from: '0-0' });
    await replayed.waitFor(1, 10_000);
    for (const message of [live.messages[0], replayed.messages[0]]) {
      expect(message?.dataJson).toBe('{"move":[1,2],"who":"ann"}');
      expect(message?.position).toBe(receipt.position);
    }
  });

  it('publishes of one tick share one script call; a key Redis refuses fails only its own publish', async () => {
    await raw.set(`${prefix}{bad}:bad:key`, 'not a stream');
    const inbox = new Inbox<number>();
    await subscriber.subscribe('room:batch', inbox.handler);
    const monitor = await raw.duplicate().monitor();
    const scriptCalls: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase().startsWith('eval') && args.includes(`${prefix}{room}:room:batch`)) scriptCalls.push(args);
    });
    const results = await Promise.allSettled([
      publisher.publish('room:batch', 0),
      publisher.publish('bad:key', 'refused'),
      ...range(50).map((index) => publisher.publish('room:batch', index + 1)),
    ]);
    const refused = results[1];
    expect(refused?.status).toBe('rejected');
    const reason: unknown = refused?.status === 'rejected' ? refused.reason : undefined;
    expect(isBusError(reason) && reason.reason, String(reason)).toBe('broker');
    expect(String(reason)).toContain('WRONGTYPE');
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(51);
    await inbox.waitFor(51, 10_000);
    await settle(100);
    monitor.disconnect();
    expect(inbox.data).toEqual(range(51));
    expect(scriptCalls, 'script calls for 52 publishes made in one tick').toHaveLength(1);
  });

  it("keeps one publisher's order while Redis loses its script cache again and again (SCRIPT FLUSH)", async () => {
    const flusher = raw.duplicate();
    let flushing = true;
    const flushes = (async () => {
      while (flushing) {
        await flusher.script('FLUSH');
        await settle(2);
      }
    })();
    const refusals: unknown[] = [];
    const publishes: Promise<unknown>[] = [];
    try {
      for (const index of range(3000)) {
        publishes.push(publisher.publish('room:flush', index).catch((error: unknown) => refusals.push(error)));
        if (index % 10 === 9) await settle(1);
      }
      await Promise.all(publishes);
    } finally {
      flushing = false;
      await flushes;
      flusher.disconnect();
    }
    const stored = (await raw.xrange(`${prefix}{room}:room:flush`, '-', '+')).map(([, fields]) => JSON.parse(fields[3] ?? 'null') as number);
    // A publish that met the lost script is refused (retryable), never stored out of turn.
    expect(refusals.length, 'publishes refused while the script was missing').toBeGreaterThan(0);
    expect(refusals.every((error) => isBusError(error) && error.reason === 'broker' && error.isRetryable)).toBe(true);
    expect(stored.length + refusals.length).toBe(3000);
    expect(stored).toEqual([...stored].sort((a, b) => a - b));
    // The flusher's last SCRIPT FLUSH may come after the last reload: one refusal at most, which reloads it.
    const after = publisher.publish('room:flush', 'after').catch(() => publisher.publish('room:flush', 'after'));
    await expect(after).resolves.toMatchObject({ position: expect.any(String) });
  });
});
