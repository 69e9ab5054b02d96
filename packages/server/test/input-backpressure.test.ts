import { setImmediate as nextTurn } from 'node:timers/promises';
import type { MessageBus, PublishReceipt } from '@app/core';
import { createMemoryBus } from '@app/driver-memory';
import { describe, expect, it } from 'vitest';
import { connect, startTestServer } from './support/test-server.js';

/** A bus whose publishes wait until `open()` is called, to stand for a slow backend. */
function gatedBus(inner: MessageBus): { bus: MessageBus; calls: () => number; open: () => void } {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let calls = 0;
  const bus: MessageBus = {
    driver: inner.driver,
    features: inner.features,
    limits: inner.limits,
    publish: async (channel, data, options): Promise<PublishReceipt> => {
      calls += 1;
      const published = inner.publish(channel, data, options);
      await gate;
      return published;
    },
    subscribe: (channel, handler, options) => inner.subscribe(channel, handler, options),
    status: () => inner.status(),
    close: () => inner.close(),
  };
  return { bus, calls: () => calls, open: release };
}

describe('a client that sends faster than the bus accepts', () => {
  it('stops being read while too much is pending, then every publish is acked in order', async () => {
    const gated = gatedBus(createMemoryBus());
    const server = await startTestServer({ bus: gated.bus, config: { maxPendingFramesPerConnection: 4 } });
    const client = await connect(server);
    for (let index = 0; index < 40; index += 1) {
      client.send({ type: 'publish', channel: 'spam', data: index, id: `p${index}` });
      await nextTurn();
    }
    // Reading paused at the limit, so most frames still wait in TCP buffers, not in the server.
    expect(gated.calls()).toBeLessThan(40);
    gated.open();
    await client.next((frame) => frame.id === 'p39');
    const acks = client.frames.filter((frame) => frame.type === 'ack').map((frame) => frame.id);
    expect(acks).toEqual([...Array(40).keys()].map((index) => `p${index}`));
    expect(gated.calls()).toBe(40);
  });
});
