import type { MessageBus, PublishReceipt } from '@app/core';
import { Inbox } from '@app/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { testBus, uniqueName } from './bus-factory.js';
import { cleanUpPrefix } from './raw-kafka.js';

const topicPrefix = `${uniqueName('replay')}.`;
const buses: MessageBus[] = [];

afterEach(async () => {
  await Promise.all(buses.splice(0).map((item) => item.close()));
});
afterAll(() => cleanUpPrefix(topicPrefix));

const partitionOf = (receipt: PublishReceipt): string => (receipt.position ?? '').split('/')[1] ?? '';

describe('replay positions', () => {
  it('refuses a position on another partition than the channel\'s: it cannot say where the channel was', async () => {
    const bus = await testBus({ topicPrefix, clientId: 'replay-test' });
    buses.push(bus);
    const first = await bus.publish('mix:0', 'first');
    // Channels of one namespace share a topic; find one that hashes to the other partition.
    let other: { channel: string; receipt: PublishReceipt } | undefined;
    for (let index = 1; index < 50 && other === undefined; index += 1) {
      const receipt = await bus.publish(`mix:${index}`, index);
      if (partitionOf(receipt) !== partitionOf(first)) other = { channel: `mix:${index}`, receipt };
    }
    expect(other, 'a channel on the other partition').toBeDefined();
    await expect(bus.subscribe(other?.channel ?? '', () => {}, { from: first.position ?? '' })).rejects.toMatchObject({
      name: 'BusError',
      reason: 'invalid_position',
    });
    // A position of its own partition still works, even one of another channel there.
    const same = await bus.subscribe(other?.channel ?? '', () => {}, { from: other?.receipt.position ?? '' });
    expect(same.replay).toBe('exact');
  });

  it('stores an ephemeral publish like any other record: delivered live, with its own offset, and replayed', async () => {
    const bus = await testBus({ topicPrefix, clientId: 'replay-ephemeral' });
    buses.push(bus);
    const live = new Inbox<string>();
    await bus.subscribe('presence:1', live.handler);
    const first = await bus.publish('presence:1', 's0');
    const ephemeral = await bus.publish('presence:1', 'e1', { ephemeral: true });
    await bus.publish('presence:1', 's2');
    await live.waitFor(3, 20_000);
    expect(live.data).toEqual(['s0', 'e1', 's2']);
    expect(ephemeral.position, 'a record of its own').not.toBe(first.position);
    const replay = new Inbox<string>();
    await bus.subscribe('presence:1', replay.handler, { from: first.position ?? '' });
    await replay.waitFor(2, 20_000);
    expect(replay.data, 'topic retention, not the flag, decides how long it is kept').toEqual(['e1', 's2']);
  });
});
