import { createMemoryBus } from '@app/driver-memory';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ChannelHub, type ChannelListener } from '../src/channel-hub.js';
import { ServerMetrics } from '../src/metrics.js';

async function gauge(metrics: ServerMetrics): Promise<number> {
  return (await metrics.busSubscriptions.get()).values[0]?.value ?? 0;
}

describe('ChannelHub', () => {
  it('shares one bus subscription per channel and ends it once, also when shutdown and a last leave overlap', async () => {
    const bus = createMemoryBus();
    const metrics = new ServerMetrics({ defaultMetrics: false });
    const hub = new ChannelHub(bus, pino({ level: 'silent' }), metrics);
    const seen: unknown[] = [];
    const listenerA: ChannelListener = {
      onChannelMessage: (message) => {
        seen.push(message.data);
        return true;
      },
    };
    const listenerB: ChannelListener = { onChannelMessage: () => false };
    await hub.join('game:1', listenerA);
    await hub.join('game:1', listenerB);
    expect(hub.channelCount).toBe(1);
    expect(await gauge(metrics)).toBe(1);
    await bus.publish('game:1', 'shared');
    await expect.poll(() => seen).toEqual(['shared']);

    await hub.close();
    hub.leave('game:1', listenerA);
    hub.leave('game:1', listenerB);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await gauge(metrics)).toBe(0);
    expect(hub.channelCount).toBe(0);
    await bus.close();
  });

  it('a leave by name never touches an entry the listener is not in (rejoin after a last leave, or after close)', async () => {
    const bus = createMemoryBus();
    const hub = new ChannelHub(bus, pino({ level: 'silent' }), new ServerMetrics({ defaultMetrics: false }));
    const seen: string[] = [];
    const listener = (name: string): ChannelListener => ({
      onChannelMessage: () => {
        seen.push(name);
        return true;
      },
    });
    const first = listener('first');
    const second = listener('second');
    await hub.join('game:1', first);
    hub.leave('game:1', first);
    // The last leave replaced the entry; a second leave of the same listener must not count down the new one.
    await hub.join('game:1', second);
    hub.leave('game:1', first);
    await bus.publish('game:1', 'after');
    await expect.poll(() => seen).toEqual(['second']);
    expect(hub.channelCount).toBe(1);
    await hub.close();
    await bus.close();
  });
});

