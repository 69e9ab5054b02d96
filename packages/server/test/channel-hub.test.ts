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
});
