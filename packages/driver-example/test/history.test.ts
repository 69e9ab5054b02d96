import { silentLogger, type Message } from '@app/core';
import { describe, expect, it } from 'vitest';
import { createExampleBus, driver } from '../src/index.js';

/** Subscribes and resolves with a list that fills as messages arrive. */
async function collect(bus: ReturnType<typeof createExampleBus>, channel: string, from?: string) {
  const messages: Message[] = [];
  const subscription = await bus.subscribe(channel, (message) => void messages.push(message), from === undefined ? {} : { from });
  return { messages, subscription };
}

describe('example bus replay, beyond what the conformance target has hooks for', () => {
  it('keeps historyPerChannel messages: a replay from before them starts at the oldest kept and says "truncated"', async () => {
    const bus = createExampleBus({ historyPerChannel: 3 });
    const first = await bus.publish('game:1', 0);
    for (const index of [1, 2, 3, 4]) await bus.publish('game:1', index);
    const { messages, subscription } = await collect(bus, 'game:1', first.position);
    expect(subscription.replay).toBe('truncated');
    await bus.publish('game:1', 5);
    expect(messages.map((message) => message.data)).toEqual([2, 3, 4, 5]);
    await bus.close();
  });

  it('a position of another bus (an earlier process) replays all that is kept, as "truncated"', async () => {
    const old = createExampleBus();
    const stale = await old.publish('game:1', 'old');
    const bus = createExampleBus();
    await bus.publish('game:1', 'kept');
    const { messages, subscription } = await collect(bus, 'game:1', stale.position);
    expect(subscription.replay).toBe('truncated');
    expect(subscription.startPosition).toBe(stale.position);
    expect(messages.map((message) => message.data)).toEqual(['kept']);
    await Promise.all([old.close(), bus.close()]);
  });

  it('a reply published by a handler while its replay backlog runs reaches it after the backlog, not lost', async () => {
    const bus = createExampleBus();
    const first = await bus.publish('game:1', 'a');
    await bus.publish('game:1', 'b');
    const seen: unknown[] = [];
    await bus.subscribe(
      'game:1',
      (message) => {
        seen.push(message.data);
        if (message.data === 'b') void bus.publish('game:1', 'reply');
      },
      { from: first.position as string },
    );
    await bus.publish('game:1', 'c');
    expect(seen).toEqual(['b', 'reply', 'c']);
    await bus.close();
  });

  it('an ephemeral publish is delivered live but kept out of history: it pushes out no stored message, and from its position comes what followed', async () => {
    const bus = createExampleBus({ historyPerChannel: 2 });
    const live = await collect(bus, 'game:1');
    const first = await bus.publish('game:1', 's0');
    await bus.publish('game:1', 's1');
    const ephemeral = await bus.publish('game:1', 'e', { ephemeral: true });
    await bus.publish('game:1', 'presence', { ephemeral: true });
    await bus.publish('game:1', 's2');
    expect(live.messages.map((message) => message.data)).toEqual(['s0', 's1', 'e', 'presence', 's2']);
    const replay = await collect(bus, 'game:1', first.position);
    expect(replay.subscription.replay, 'history held s1 and s2: the two ephemeral ones took no room').toBe('exact');
    expect(replay.messages.map((message) => message.data)).toEqual(['s1', 's2']);
    const resumed = await collect(bus, 'game:1', ephemeral.position);
    expect(resumed.messages.map((message) => message.data)).toEqual(['s2']);
    await bus.close();
  });

  it('a bad option is BusError invalid_options; a bad variable is BusError config naming it', async () => {
    expect(() => createExampleBus({ historyPerChannel: 0 })).toThrow(expect.objectContaining({ reason: 'invalid_options', message: expect.stringContaining('historyPerChannel') }));
    await expect(Promise.resolve().then(() => driver.create({ EXAMPLE_MAX_PAYLOAD_BYTES: 'lots' }, { logger: silentLogger }))).rejects.toMatchObject({
      reason: 'config',
      message: expect.stringContaining('EXAMPLE_MAX_PAYLOAD_BYTES'),
    });
  });
});
