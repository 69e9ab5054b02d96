import type { Message, Subscription } from '@app/core';
import { Inbox, settle, until } from '@app/core/testing';
import { createMemoryBus } from '@app/driver-memory';
import { describe, expect, it } from 'vitest';

describe('memory bus: what a handler publishes', () => {
  it('a synchronous handler that republishes on every message does not hold the event loop: timers fire, and it stops once it unsubscribes', async () => {
    const bus = createMemoryBus();
    let ticks = 0;
    const timer = setInterval(() => {
      ticks += 1;
    }, 1);
    let delivered = 0;
    let ticksAtStop: number | undefined;
    let subscription: Subscription | undefined;
    const failures: unknown[] = [];
    // Bounded, so that without the hop the loop ends (and the test fails) instead of hanging the run.
    const safetyBound = 50_000;
    subscription = await bus.subscribe('loop', () => {
      delivered += 1;
      if (ticksAtStop !== undefined) return;
      if (ticks >= 3 || delivered >= safetyBound) {
        ticksAtStop = ticks;
        void subscription?.unsubscribe();
        return;
      }
      bus.publish('loop', delivered).catch((error: unknown) => failures.push(error));
    });
    await bus.publish('loop', 0);
    await until(() => ticksAtStop !== undefined, 5000, 'the handler to stop republishing');
    clearInterval(timer);
    expect(ticksAtStop, 'timers fired while the handler kept republishing').toBeGreaterThanOrEqual(3);
    expect(delivered, 'it ran for a while, stopped by the timer and not by the safety bound').toBeGreaterThan(3);
    expect(delivered).toBeLessThan(safetyBound);
    const stoppedAt = delivered;
    await settle(50);
    expect(delivered, 'nothing is delivered after it unsubscribed').toBe(stoppedAt);
    expect(failures).toEqual([]);
    await bus.close();
  });

  it('a publish made while a reply waits for its hop comes after the reply, for every subscriber', async () => {
    const bus = createMemoryBus();
    const replier = new Inbox<string>();
    const other = new Inbox<string>();
    await bus.subscribe('game:1', (message: Message<string>) => {
      replier.handler(message);
      if (message.data === 'm0') void bus.publish('game:1', 'reply');
    });
    await bus.subscribe('game:1', other.handler);
    // Not awaited: m1 and m2 are published while the reply still waits.
    const publishes = [bus.publish('game:1', 'm0'), bus.publish('game:1', 'm1'), bus.publish('game:1', 'm2')];
    await Promise.all(publishes);
    await replier.waitFor(4, 2000);
    await other.waitFor(4, 2000);
    expect(replier.data).toEqual(['m0', 'reply', 'm1', 'm2']);
    expect(other.data, 'one order for all subscribers').toEqual(replier.data);
    expect(other.messages.map((message) => message.position)).toEqual(replier.messages.map((message) => message.position));
    await bus.close();
  });

  it('a subscription from the position of a reply still waiting for its hop starts after that reply', async () => {
    const bus = createMemoryBus();
    const main = new Inbox<string>();
    const late = new Inbox<string>();
    let lateSubscription: Promise<Subscription> | undefined;
    await bus.subscribe('game:1', async (message: Message<string>) => {
      main.handler(message);
      if (message.data !== 'm0') return;
      const receipt = await bus.publish('game:1', 'reply');
      // The receipt comes before the reply's hop: the position is not fanned out yet.
      lateSubscription = bus.subscribe('game:1', late.handler, { from: receipt.position as string });
      await lateSubscription;
    });
    await bus.publish('game:1', 'm0');
    await main.waitFor(2, 2000);
    expect((await lateSubscription)?.replay).toBe('exact');
    await bus.publish('game:1', 'next');
    await late.waitFor(1, 2000);
    await settle(50);
    expect(late.data, 'from the reply: only what came after it').toEqual(['next']);
    expect(main.data).toEqual(['m0', 'reply', 'next']);
    await bus.close();
  });
});
