import type { Message, MessageBus } from '@app/core';
import { Inbox, blockingGate, settle } from '@app/core/testing';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { clientsNamed, deleteKeys, rawClient, readyBus, uniquePrefix, waitUntil } from './support/test-bus.js';

const url = inject('redisUrl');

describe('redis bus consumer groups: dead members, vanished groups', () => {
  const prefix = uniquePrefix('claim');
  const buses: MessageBus[] = [];
  let raw: Redis;

  beforeAll(() => {
    raw = rawClient(url);
  });

  afterEach(async () => {
    await Promise.allSettled(buses.splice(0).map((bus) => bus.close()));
  });

  afterAll(async () => {
    raw.disconnect();
    await deleteKeys(url, prefix);
  });

  async function bus(claimIdleMs = 30_000): Promise<MessageBus> {
    const created = await readyBus({ url, keyPrefix: prefix, claimIdleMs, retryDelayMs: 20 });
    buses.push(created);
    return created;
  }

  it('takes over an entry a dead consumer read and never acknowledged (XAUTOCLAIM), as attempt 2', async () => {
    const key = `${prefix}{jobs}:jobs:orphan`;
    await raw.xgroup('CREATE', key, 'workers', '$', 'MKSTREAM');
    const survivor = await bus(200);
    const receipt = await survivor.publish('jobs:orphan', { job: 'orphan' });
    // A consumer that reads and dies before XACK: the entry is pending under its name.
    const taken = await raw.xreadgroup('GROUP', 'workers', 'crashed-consumer', 'COUNT', 10, 'STREAMS', key, '>');
    expect(taken).not.toBeNull();
    const inbox = new Inbox();
    await survivor.subscribe('jobs:orphan', inbox.handler, { mode: 'group', group: 'workers' });
    const [message] = await inbox.waitFor(1, 10_000, 'the orphaned entry');
    expect(message?.id).toBe(receipt.id);
    expect(message?.attempt).toBe(2);
    await waitUntil(async () => ((await raw.xpending(key, 'workers')) as unknown[])[0] === 0, 10_000, 'the entry to be acknowledged');
  });

  it('a member whose handler hangs loses its message to another member after claimIdleMs', async () => {
    const stuck = await bus();
    const healthy = await bus(200);
    const gate = blockingGate();
    const stuckGot: Message[] = [];
    await stuck.subscribe(
      'jobs:hang',
      async (message) => {
        stuckGot.push(message);
        await gate.wait;
      },
      { mode: 'group', group: 'workers' },
    );
    await stuck.publish('jobs:hang', 'slow job');
    await waitUntil(() => stuckGot.length === 1, 10_000, 'the stuck member to take the job');
    const inbox = new Inbox();
    await healthy.subscribe('jobs:hang', inbox.handler, { mode: 'group', group: 'workers' });
    const [message] = await inbox.waitFor(1, 10_000, 'the job taken over from the stuck member');
    expect(message?.data).toBe('slow job');
    expect(message?.attempt).toBe(2);
    gate.release();
  });

  it('after a message is dead-lettered once, a member that takes it over past maxAttempts dead-letters it without calling the handler', async () => {
    const key = `${prefix}{jobs}:jobs:worn`;
    await raw.xgroup('CREATE', key, 'workers', '$', 'MKSTREAM');
    const member = await bus(100);
    await member.publish('jobs:worn', 'worn out');
    await raw.xreadgroup('GROUP', 'workers', 'crashed', 'COUNT', 1, 'STREAMS', key, '>');
    const [[id]] = (await raw.xpending(key, 'workers', '-', '+', 1)) as [[string]];
    // Two more deliveries to dead consumers: Redis counts 3 before our member claims it (4 > maxAttempts 3).
    await raw.xclaim(key, 'workers', 'crashed-again', 0, id);
    await raw.xclaim(key, 'workers', 'crashed-again', 0, id);
    const dead = new Inbox();
    await member.subscribe('dlq:jobs:worn', dead.handler);
    const handled = new Inbox();
    await member.subscribe('jobs:worn', handled.handler, { mode: 'group', group: 'workers', maxAttempts: 3 });
    const [letter] = await dead.waitFor(1, 10_000, 'the dead letter');
    expect(letter?.data).toBe('worn out');
    expect(letter?.headers['x-dead-letter-attempts']).toBe('4');
    await settle(200);
    expect(handled.messages).toHaveLength(0);
  });

  it('re-creates a consumer group that vanished with its stream (as after a restart without persistence)', async () => {
    const member = await bus();
    const inbox = new Inbox();
    await member.subscribe('jobs:vanish', inbox.handler, { mode: 'group', group: 'workers' });
    await member.publish('jobs:vanish', 'before');
    await inbox.waitFor(1, 10_000);
    await raw.del(`${prefix}{jobs}:jobs:vanish`);
    await member.publish('jobs:vanish', 'after');
    await inbox.waitFor(2, 10_000, 'a message after the group vanished');
    expect(inbox.data).toEqual(['before', 'after']);
  });
  it('reads its own pending entries again after a reconnect, so a read whose reply was lost waits for no claimIdleMs', async () => {
    const clientName = `history-${Math.random().toString(36).slice(2, 8)}`;
    const member = await readyBus({ url, keyPrefix: prefix, claimIdleMs: 600_000, clientName });
    buses.push(member);
    const key = `${prefix}{jobs}:jobs:lost-reply`;
    const inbox = new Inbox();
    await member.subscribe('jobs:lost-reply', inbox.handler, { mode: 'group', group: 'workers' });
    await member.publish('jobs:lost-reply', 'first');
    await inbox.waitFor(1, 10_000, 'the first entry');
    const consumers = (await raw.call('XINFO', ['CONSUMERS', key, 'workers'])) as unknown[][];
    const consumer = consumers[0]?.[1];
    expect(typeof consumer).toBe('string');
    // Added and handed to the member's consumer in one step, as a read whose reply never arrived.
    await raw.multi().xadd(key, '*', 'data', '"lost reply"').xreadgroup('GROUP', 'workers', String(consumer), 'COUNT', 10, 'STREAMS', key, '>').exec();
    await settle(300);
    expect(inbox.data).toEqual(['first']);
    for (const client of await clientsNamed(raw, clientName)) await raw.call('CLIENT', ['KILL', 'ID', client.id]);
    await inbox.waitFor(2, 10_000, 'the entry pending under its own name');
    expect(inbox.data).toEqual(['first', 'lost reply']);
    expect(inbox.messages[1]?.attempt).toBe(2);
    await waitUntil(async () => ((await raw.xpending(key, 'workers')) as unknown[])[0] === 0, 10_000, 'the entry to be acknowledged');
  });
});
