import { isBusError, type MessageBus } from '@app/core';
import { Inbox, settle } from '@app/core/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deleteKeys, rawClient, readyBus, uniquePrefix, waitUntil } from './support/test-bus.js';

const url = inject('redisUrl');

describe('redis bus with entries written by other tools', () => {
  const prefix = uniquePrefix('foreign');
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

  async function writeForeign(key: string): Promise<string> {
    const good = await raw.xadd(key, '*', 'data', '{"x":1}');
    await raw.xadd(key, '*', 'foo', 'bar');
    await raw.xadd(key, '*', 'data', 'not json');
    await raw.xadd(key, '*', 'data', '{"x":2}', 'headers', 'not json');
    return good as string;
  }

  it('delivers a foreign entry with a JSON data field and reports the others through onError', async () => {
    const errors: Error[] = [];
    const inbox = new Inbox();
    await bus.subscribe('tool:feed', inbox.handler, { onError: (error) => errors.push(error) });
    const streamId = await writeForeign(`${prefix}{tool}:tool:feed`);
    await bus.publish('tool:feed', 'after');
    await inbox.waitFor(2, 10_000);
    await settle(200);
    expect(inbox.data).toEqual([{ x: 1 }, 'after']);
    const [foreign] = inbox.messages;
    expect(foreign?.id).toBe(streamId);
    expect(foreign?.position).toBe(streamId);
    expect(foreign?.headers).toEqual({});
    expect(foreign?.timestamp).toBe(Number(streamId.split('-')[0]));
    expect(errors).toHaveLength(3);
    expect(errors.every((error) => isBusError(error) && error.reason === 'invalid_data')).toBe(true);
    expect(bus.status()).toBe('ready');
  });

  it('in group mode, delivers the good entry and acknowledges the undecodable ones', async () => {
    const errors: Error[] = [];
    const inbox = new Inbox();
    await bus.subscribe('tool:jobs', inbox.handler, { mode: 'group', group: 'g', onError: (error) => errors.push(error) });
    const key = `${prefix}{tool}:tool:jobs`;
    await writeForeign(key);
    await inbox.waitFor(1, 10_000);
    await waitUntil(() => errors.length === 3, 10_000, 'three decode errors');
    await waitUntil(async () => ((await raw.xpending(key, 'g')) as unknown[])[0] === 0, 10_000, 'no pending entries in the group');
    expect(inbox.data).toEqual([{ x: 1 }]);
  });
});
