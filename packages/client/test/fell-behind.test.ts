import { createMemoryBus } from '@app/driver-memory';
import { afterEach, describe, expect, it } from 'vitest';
import type { GapEvent } from '../src/index.js';
import { tokens } from '../../server/src/index.js';
import { ExpiringBus } from '../../server/test/support/expiring-bus.js';
import { swappedParts } from '../../server/test/support/swapped-parts.js';
import { connect, startTestServer } from '../../server/test/support/test-server.js';
import { testClient, until } from './support/clients.js';

const buses: ExpiringBus[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.close()));
});

/** A server whose bus, swapped in through a child container, can end its subscriptions with position_expired. */
async function serverOn(historyPerChannel?: number, options: { readonly withoutReplay?: boolean } = {}) {
  const bus = new ExpiringBus(createMemoryBus(historyPerChannel === undefined ? {} : { historyPerChannel }), options);
  buses.push(bus);
  const server = await startTestServer({ container: swappedParts([[tokens.BUS, bus]]) });
  return { bus, server };
}

describe('the server subscription falling behind', () => {
  it('resumes after the last message when the bus still keeps the rest: the app sees every message once, no gap', async () => {
    const { bus, server } = await serverOn();
    const { client, events } = testClient({ url: server.wsUrl });
    const gaps: GapEvent[] = [];
    const seen: { data: number }[] = [];
    const subscription = client.subscribe<number>('game:1', (message) => seen.push(message));
    subscription.on('gap', (gap) => gaps.push(gap));
    await subscription.ready;
    const publisher = await connect(server);
    for (let n = 1; n <= 3; n += 1) await publisher.publish('game:1', n);
    await until(() => seen.length === 3, 'the first messages');
    bus.stall('game:1');
    for (let n = 4; n <= 8; n += 1) await publisher.publish('game:1', n);
    expect(await bus.expire('game:1')).toBe(1);
    await publisher.publish('game:1', 9);
    await until(() => seen.length >= 9, 'every message after the resume');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen.map((message) => message.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(gaps).toEqual([]);
    expect(events.filter(([name]) => name === 'error')).toEqual([]);
  });

  it('on a real gap, resubscribes with since from its last message, raises gap once, and goes on: nothing doubled', async () => {
    const { bus, server } = await serverOn(3);
    const { client, events } = testClient({ url: server.wsUrl });
    const seen: number[] = [];
    const gaps: GapEvent[] = [];
    const subscription = client.subscribe<number>('game:1', (message) => seen.push(message.data));
    subscription.on('gap', (gap) => gaps.push(gap));
    const errors: unknown[] = [];
    subscription.on('error', (error) => errors.push(error));
    await subscription.ready;
    const publisher = await connect(server);
    await publisher.publish('game:1', 1);
    await until(() => seen.length === 1, 'the first message');
    bus.stall('game:1');
    for (let n = 2; n <= 8; n += 1) await publisher.publish('game:1', n);
    await bus.expire('game:1');
    await until(() => gaps.length === 1 && seen.length >= 4, 'the gap and the kept messages');
    await publisher.publish('game:1', 9);
    await until(() => seen.includes(9), 'a live message after the gap');
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The memory bus kept 6..8 of what the server's subscription missed; 2..5 are the gap the app was told of.
    expect(seen).toEqual([1, 6, 7, 8, 9]);
    expect(gaps).toMatchObject([{ channel: 'game:1', code: 'position_expired' }]);
    expect(subscription.active).toBe(true);
    expect(errors).toEqual([]);
    expect(events.filter(([name]) => name === 'disconnected')).toEqual([]);
    const resumes = (await server.metrics.busResumes.get()).values.find((value) => value.labels.result === 'truncated')?.value;
    expect(resumes).toBe(1);
  });

  it('raises gap when it has no position to resume from (a bus without replay, no message yet): what the server missed is not replayed', async () => {
    const { bus, server } = await serverOn(undefined, { withoutReplay: true });
    const { client } = testClient({ url: server.wsUrl });
    const seen: number[] = [];
    const gaps: GapEvent[] = [];
    const subscription = client.subscribe<number>('game:1', (message) => seen.push(message.data));
    subscription.on('gap', (gap) => gaps.push(gap));
    await subscription.ready;
    const publisher = await connect(server);
    bus.stall('game:1');
    for (let n = 1; n <= 3; n += 1) await publisher.publish('game:1', n);
    await bus.expire('game:1');
    await until(() => gaps.length === 1, 'the gap');
    await publisher.publish('game:1', 4);
    await until(() => seen.includes(4), 'a live message after the gap');
    // 1..3 are the gap: never delivered, and the app was told.
    expect(seen).toEqual([4]);
    expect(gaps).toMatchObject([{ channel: 'game:1', code: 'position_expired' }]);
    expect(subscription.active).toBe(true);
  });
});
