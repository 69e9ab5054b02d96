import type { MessageBus } from '@app/core';
import { Inbox } from '@app/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { testBus, uniqueName } from './bus-factory.js';
import { cleanUpPrefix } from './raw-kafka.js';

const topicPrefix = `${uniqueName('groups')}.`;
const buses: MessageBus[] = [];

afterEach(async () => {
  await Promise.all(buses.splice(0).map((item) => item.close()));
});
afterAll(() => cleanUpPrefix(topicPrefix));

async function bus(): Promise<MessageBus> {
  const created = await testBus({ topicPrefix, clientId: 'groups-test' });
  buses.push(created);
  return created;
}

describe('group subscriptions', () => {
  it('members of several instances that join one new group at once all become live', { timeout: 120_000 }, async () => {
    const instances = [await bus(), await bus(), await bus()];
    await instances[0]?.publish('work:a', 'make the topic');
    for (let round = 0; round < 3; round += 1) {
      const group = uniqueName('g');
      const inbox = new Inbox();
      const outcomes = await Promise.allSettled(instances.map((item) => item.subscribe('work:a', inbox.handler, { mode: 'group', group })));
      expect(outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => String((outcome as PromiseRejectedResult).reason))).toEqual([]);
      await instances[0]?.publish('work:a', round);
      await inbox.waitFor(1, 20_000);
      expect(inbox.data).toEqual([round]);
    }
  });

  it('a member that takes over a partition goes on from the group\'s committed offset, not from where the group began', { timeout: 120_000 }, async () => {
    const instances = [await bus(), await bus()];
    await instances[0]?.publish('work:b', 'make the topic');
    // Which member gets the channel's partition varies; a few rounds make a stale start show.
    for (let round = 0; round < 3; round += 1) {
      const group = uniqueName('g');
      const inboxes = [new Inbox<number>(), new Inbox<number>()];
      // Both join the new group at once: each fetched the group's (missing) offsets when it began.
      const subscriptions = await Promise.all(
        instances.map((item, index) => item.subscribe('work:b', (inboxes[index] as Inbox<number>).handler, { mode: 'group', group })),
      );
      for (let index = 0; index < 5; index += 1) await instances[0]?.publish('work:b', index);
      const deadline = Date.now() + 20_000;
      while (inboxes.every((inbox) => inbox.messages.length < 5) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const owner = inboxes.findIndex((inbox) => inbox.messages.length === 5);
      expect(owner, "the member that got the channel's partition").not.toBe(-1);
      const heir = 1 - owner;
      // The owner handled (and committed) all five; when it leaves, the other member takes over.
      await subscriptions[owner]?.unsubscribe();
      await instances[0]?.publish('work:b', 5);
      await (inboxes[heir] as Inbox<number>).waitFor(1, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(inboxes[heir]?.data, 'the heir gets only what came after the committed offset').toEqual([5]);
      await subscriptions[heir]?.unsubscribe();
    }
  });
});
