import type { MessageBus, PublishReceipt } from '@app/core';
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
});
