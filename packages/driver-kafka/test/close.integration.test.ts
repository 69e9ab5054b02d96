import type { MessageBus } from '@app/core';
import { Inbox, within } from '@app/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { testBus, uniqueName } from './bus-factory.js';
import { cleanUpPrefix, withAdmin } from './raw-kafka.js';

const topicPrefix = `${uniqueName('close')}.`;
afterAll(() => cleanUpPrefix(topicPrefix));

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('close', () => {
  it('is bounded by closeTimeoutMs even when a broadcast handler never returns', { timeout: 60_000 }, async () => {
    const bus = await testBus({ topicPrefix, clientId: 'close-hang', closeTimeoutMs: 1000 });
    const started = new Inbox();
    await bus.subscribe('hang:b', (message) => {
      started.handler(message);
      return new Promise<void>(() => {});
    });
    await bus.publish('hang:b', 1);
    await started.waitFor(1, 20_000);
    await within(bus.close(), 15_000, 'close() with a hung broadcast handler');
    expect(bus.status()).toBe('closed');
  });

  it('is bounded by closeTimeoutMs even when a group handler never returns', { timeout: 60_000 }, async () => {
    const bus = await testBus({ topicPrefix, clientId: 'close-hang-group', closeTimeoutMs: 1000 });
    const started = new Inbox();
    await bus.subscribe(
      'hang:g',
      (message) => {
        started.handler(message);
        return new Promise<void>(() => {});
      },
      { mode: 'group', group: uniqueName('g') },
    );
    await bus.publish('hang:g', 1);
    await started.waitFor(1, 20_000);
    await within(bus.close(), 15_000, 'close() with a hung group handler');
    expect(bus.status()).toBe('closed');
  });

  it('does not wait out a group redelivery pause: close() right after a handler failed is quick', { timeout: 60_000 }, async () => {
    // The pause after a failure is min(redeliveryDelayMs, 5000) = 5 s here; close's own bound (10 s) is longer.
    const bus = await testBus({ topicPrefix, clientId: 'close-redeliver', closeTimeoutMs: 10_000, redeliveryDelayMs: 60_000 });
    const failed = new Inbox();
    await bus.subscribe(
      'redeliver:g',
      (message) => {
        failed.handler(message);
        throw new Error('fails, so a redelivery pause starts');
      },
      { mode: 'group', group: uniqueName('g'), onError: () => {} },
    );
    await bus.publish('redeliver:g', 1);
    await failed.waitFor(1, 20_000);
    await pause(100);
    const took = await within(bus.close(), 15_000, 'close() during a redelivery pause');
    expect(took, 'close() waited for the redelivery pause').toBeLessThan(3000);
    expect(failed.messages, 'no redelivery after close').toHaveLength(1);
  });

  it('leaves no consumer running when close() races a subscribe that is still connecting', { timeout: 120_000 }, async () => {
    const clientId = uniqueName('race');
    const warm = await testBus({ topicPrefix, clientId });
    await warm.publish('race:a', 'make the topic');
    await warm.close();
    for (const wait of [0, 2, 5, 10, 20, 40, 80]) {
      const bus: MessageBus = await testBus({ topicPrefix, clientId });
      const attempt = bus.subscribe('race:a', () => {}).catch(() => undefined);
      await pause(wait);
      await bus.close();
      await attempt;
    }
    // A leaked consumer keeps a member in its group long after close.
    await pause(3000);
    const active = await withAdmin(async (admin) => {
      const ids = (await admin.listGroups()).groups.map((group) => group.groupId).filter((id) => id.includes(clientId));
      if (ids.length === 0) return [];
      const described = await admin.describeGroups(ids);
      return described.groups.filter((group) => group.members.length > 0).map((group) => `${group.groupId} (${group.state})`);
    });
    expect(active, 'consumer groups of closed buses that still have members').toEqual([]);
  });
});
