import 'reflect-metadata';
import { BusError, type Message, type MessageBus, type Subscription } from '@app/core';
import { createMemoryBus } from '@app/driver-memory';
import { pino } from 'pino';
import { container } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { ChannelHub, type ChannelListener } from '../src/channel-hub.js';
import { ServerMetrics } from '../src/metrics.js';
import { BUS, CHANNEL_HUB, LOGGER, METRICS } from '../src/tokens.js';
import { ExpiringBus } from './support/expiring-bus.js';

async function gauge(metrics: ServerMetrics): Promise<number> {
  return (await metrics.busSubscriptions.get()).values[0]?.value ?? 0;
}

async function resumes(metrics: ServerMetrics, result: string): Promise<number> {
  return (await metrics.busResumes.get()).values.find((value) => value.labels.result === result)?.value ?? 0;
}

/** A hub resolved the way the server resolves it, its bus and metrics swapped in through a child container. */
function hubOn(bus: MessageBus, metrics = new ServerMetrics({ defaultMetrics: false })): ChannelHub {
  const scope = container.createChildContainer();
  scope.register(BUS, { useValue: bus });
  scope.register(LOGGER, { useValue: pino({ level: 'silent' }) });
  scope.register(METRICS, { useValue: metrics });
  scope.register(CHANNEL_HUB, { useClass: ChannelHub });
  return scope.resolve<ChannelHub>(CHANNEL_HUB);
}

/** A listener recording what it is handed, in order: message data, and `gap` for a gap. */
function recorder(): ChannelListener & { readonly seen: unknown[] } {
  const seen: unknown[] = [];
  return {
    seen,
    onChannelMessage: (message: Message) => {
      seen.push(message.data);
      return true;
    },
    onChannelGap: () => seen.push('gap'),
  };
}

/** A hub on `bus` with one listener on `game:1` that has received message 1. */
async function joinedAfterOne(bus: MessageBus): Promise<{ metrics: ServerMetrics; hub: ChannelHub; listener: ReturnType<typeof recorder> }> {
  const metrics = new ServerMetrics({ defaultMetrics: false });
  const hub = hubOn(bus, metrics);
  const listener = recorder();
  await hub.join('game:1', listener);
  await bus.publish('game:1', 1);
  await expect.poll(() => listener.seen).toEqual([1]);
  return { metrics, hub, listener };
}

/** Makes each subscribe `from` a position (the hub's resume) go through `then` once the bus made it. */
function onResume(bus: ExpiringBus, then: (subscription: Subscription) => Promise<Subscription>): void {
  const subscribe = bus.subscribe.bind(bus);
  bus.subscribe = async (channel, handler, options) => {
    const subscription = await subscribe(channel, handler, options);
    return options?.from === undefined ? subscription : then(subscription);
  };
}

describe('ChannelHub', () => {
  it('shares one bus subscription per channel and ends it once, also when shutdown and a last leave overlap', async () => {
    const bus = createMemoryBus();
    const metrics = new ServerMetrics({ defaultMetrics: false });
    const hub = hubOn(bus, metrics);
    const listenerA = recorder();
    const listenerB: ChannelListener = { onChannelMessage: () => false, onChannelGap: () => undefined };
    await hub.join('game:1', listenerA);
    await hub.join('game:1', listenerB);
    expect(hub.channelCount).toBe(1);
    expect(await gauge(metrics)).toBe(1);
    await bus.publish('game:1', 'shared');
    await expect.poll(() => listenerA.seen).toEqual(['shared']);

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
    const hub = hubOn(bus);
    const seen: string[] = [];
    const listener = (name: string): ChannelListener => ({
      onChannelMessage: () => {
        seen.push(name);
        return true;
      },
      onChannelGap: () => undefined,
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

  it('resumes a subscription the bus ended for falling behind after the last message delivered: no gap, no duplicate', async () => {
    const bus = new ExpiringBus(createMemoryBus());
    const metrics = new ServerMetrics({ defaultMetrics: false });
    const hub = hubOn(bus, metrics);
    const listener = recorder();
    await hub.join('game:1', listener);
    for (let n = 1; n <= 3; n += 1) await bus.publish('game:1', n);
    await expect.poll(() => listener.seen).toEqual([1, 2, 3]);
    bus.stall('game:1');
    for (let n = 4; n <= 8; n += 1) await bus.publish('game:1', n);
    expect(await bus.expire('game:1')).toBe(1);
    await bus.publish('game:1', 9);
    await expect.poll(() => listener.seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(bus.subscribes.at(-1)?.from).toBeDefined();
    expect(await resumes(metrics, 'exact')).toBe(1);
    expect(await gauge(metrics)).toBe(1);
    // The resumed subscription is the one a last leave ends.
    hub.leave('game:1', listener);
    await expect.poll(() => gauge(metrics)).toBe(0);
    await bus.publish('game:1', 10);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(listener.seen).toHaveLength(9);
    await bus.close();
  });

  it('tells each listener of the gap before any message after it when the bus no longer kept what came after the last one', async () => {
    const bus = new ExpiringBus(createMemoryBus({ historyPerChannel: 3 }));
    const { metrics, hub, listener } = await joinedAfterOne(bus);
    bus.stall('game:1');
    for (let n = 2; n <= 8; n += 1) await bus.publish('game:1', n);
    await bus.expire('game:1');
    // The listener stays until it leaves; what the resumed subscription replays (6..8, the kept ones) comes after the gap.
    await expect.poll(() => listener.seen).toEqual([1, 'gap', 6, 7, 8]);
    expect(await resumes(metrics, 'truncated')).toBe(1);
    await hub.close();
    await bus.close();
  });

  it('stops resuming and tells the gap once when the bus ends every resumed subscription before it delivers anything', async () => {
    const bus = new ExpiringBus(createMemoryBus());
    // A bus that keeps failing: each resume is ended with position_expired as soon as it is live.
    onResume(bus, async (subscription) => {
      setTimeout(() => void bus.expire('game:1'), 0);
      return subscription;
    });
    const { metrics, hub, listener } = await joinedAfterOne(bus);
    await bus.expire('game:1');
    await expect.poll(() => listener.seen).toEqual([1, 'gap']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // A few attempts, not one every tick for ever.
    expect(bus.subscribes.length).toBeLessThanOrEqual(5);
    expect(listener.seen).toEqual([1, 'gap']);
    expect(await gauge(metrics)).toBe(0);
    expect(hub.channelCount).toBe(0);
    await hub.close();
    await bus.close();
  });

  it('counts no bus subscription for a channel whose last listener left while its resume was failing', async () => {
    const bus = new ExpiringBus(createMemoryBus());
    // The resume fails a little later, after the last leave.
    onResume(bus, async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      throw new BusError('not_connected', 'the bus is down (test)');
    });
    const { metrics, hub, listener } = await joinedAfterOne(bus);
    await bus.expire('game:1');
    hub.leave('game:1', listener);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await gauge(metrics)).toBe(0);
    await hub.close();
    await bus.close();
  });
});
