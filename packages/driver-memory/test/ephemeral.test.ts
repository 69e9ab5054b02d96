import { Inbox, settle } from '@app/core/testing';
import { createMemoryBus } from '@app/driver-memory';
import { describe, expect, it } from 'vitest';

describe('memory bus ephemeral publishes', () => {
  it('stay out of history: many of them evict no stored message, and a replay gets only the stored ones', async () => {
    const bus = createMemoryBus({ historyPerChannel: 3, historyTotal: 3 });
    const live = new Inbox<string>();
    const start = (await bus.subscribe('game:1', live.handler)).startPosition as string;
    for (const label of ['s0', 's1', 's2']) await bus.publish('game:1', label);
    // Stored, these would have pushed s0..s2 out of a history of three, twice over.
    for (let index = 0; index < 10; index += 1) {
      await bus.publish('game:1', `e${index}`, { ephemeral: true });
      await bus.publish('presence:1', `p${index}`, { ephemeral: true });
    }
    await live.waitFor(13, 2000);
    expect(live.data.slice(0, 4), 'delivered live like any other').toEqual(['s0', 's1', 's2', 'e0']);

    const replay = new Inbox<string>();
    const subscription = await bus.subscribe('game:1', replay.handler, { from: start });
    expect(subscription.replay, 'no stored message was evicted').toBe('exact');
    await replay.waitFor(3, 2000);
    await settle(50);
    expect(replay.data).toEqual(['s0', 's1', 's2']);

    const presence = new Inbox<string>();
    expect((await bus.subscribe('presence:1', presence.handler, { from: start })).replay).toBe('exact');
    await settle(50);
    expect(presence.data, 'an ephemeral-only channel has no history').toEqual([]);
    await bus.close();
  });

  it('published from a handler (after a hop), keep their place among stored ones and stay out of history', async () => {
    const bus = createMemoryBus();
    const live = new Inbox<string>();
    const start = (await bus.subscribe('game:1', live.handler)).startPosition as string;
    await bus.subscribe('game:1', async (message) => {
      if (message.data === 'ask') {
        await bus.publish('game:1', 'reply-e', { ephemeral: true });
        await bus.publish('game:1', 'reply-s');
      }
    });
    const receipt = await bus.publish('game:1', 'ask');
    await live.waitFor(3, 2000);
    expect(live.data).toEqual(['ask', 'reply-e', 'reply-s']);
    const ephemeralPosition = live.messages[1]!.position;
    expect(ephemeralPosition, 'its own sequence number').not.toBe(receipt.position);

    const replay = new Inbox<string>();
    await bus.subscribe('game:1', replay.handler, { from: start });
    const fromEphemeral = new Inbox<string>();
    await bus.subscribe('game:1', fromEphemeral.handler, { from: ephemeralPosition });
    await replay.waitFor(2, 2000);
    await fromEphemeral.waitFor(1, 2000);
    await settle(50);
    expect(replay.data).toEqual(['ask', 'reply-s']);
    expect(fromEphemeral.data, 'from its position: what came after it').toEqual(['reply-s']);
    await bus.close();
  });
});
