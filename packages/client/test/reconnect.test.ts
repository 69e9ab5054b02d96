import { createMemoryBus } from '@app/driver-memory';
import { afterEach, describe, expect, it } from 'vitest';
import type { GapEvent, Message } from '../src/index.js';
import { connect, startTestServer } from '../../server/test/support/test-server.js';
import { collect, connections, next, testClient, until } from './support/clients.js';
import { startProxy } from './support/tcp-proxy.js';

const buses: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.close()));
});

describe('reconnecting and resuming with since', () => {
  it('after a dropped connection, resumes every channel after its last message: nothing lost, nothing doubled', async () => {
    const server = await startTestServer();
    const proxy = await startProxy(server.port);
    const { client, events } = testClient({ url: proxy.wsUrl });
    const game = await collect<number>(client, 'game:1');
    const chat = await collect<number>(client, 'chat:1');
    const publisher = await connect(server);
    for (let n = 0; n < 5; n += 1) await publisher.publish('game:1', n);
    await publisher.publish('chat:1', 0);
    await until(() => game.length === 5 && chat.length === 1, 'the first messages');

    proxy.block();
    await next(client, 'disconnected');
    for (let n = 5; n < 20; n += 1) await publisher.publish('game:1', n);
    for (let n = 1; n < 4; n += 1) await publisher.publish('chat:1', n);
    proxy.unblock();
    await next(client, 'connected');
    for (let n = 20; n < 25; n += 1) await publisher.publish('game:1', n);

    await until(() => game.length >= 25 && chat.length >= 4, 'every message after the reconnect');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(game.map((message) => message.data)).toEqual(Array.from({ length: 25 }, (_, n) => n));
    expect(chat.map((message) => message.data)).toEqual([0, 1, 2, 3]);
    const names = events.map(([name]) => name);
    expect(names.slice(0, 5)).toEqual(['connecting', 'connected', 'disconnected', 'reconnecting', names[4]]);
    expect(events.find(([name]) => name === 'disconnected')?.[1]).toMatchObject({ code: 1006 });
    expect(connections(events)).toBe(2);
  });

  it('recovers what was published to a channel that had no message yet, from the position in its subscribe ack', async () => {
    const server = await startTestServer();
    const proxy = await startProxy(server.port);
    const { client } = testClient({ url: proxy.wsUrl });
    const publisher = await connect(server);
    await publisher.publish('quiet', 'before the subscribe');
    const seen = await collect(client, 'quiet');
    proxy.block();
    await next(client, 'disconnected');
    await publisher.publish('quiet', 'while away 1');
    await publisher.publish('quiet', 'while away 2');
    proxy.unblock();
    await next(client, 'connected');
    await publisher.publish('quiet', 'after');
    await until(() => seen.length >= 3, 'the messages published while away, then the live one');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen.map((message) => message.data)).toEqual(['while away 1', 'while away 2', 'after']);
  });

  it('reconnects to the next url after 1001 (an instance shut down), and resumes there', async () => {
    // Two instances on one bus, as two processes on Redis or Kafka would be.
    const bus = createMemoryBus();
    buses.push(bus);
    const first = await startTestServer({ bus });
    const second = await startTestServer({ bus, config: { instanceId: 'second' } });
    const { client, events } = testClient({ urls: [first.wsUrl, second.wsUrl], backoffBaseMs: 50 });
    const seen = await collect<number>(client, 'game:1');
    const publisher = await connect(second);
    await publisher.publish('game:1', 0);
    await until(() => seen.length === 1, 'the first message');
    const started = Date.now();
    const reconnected = next(client, 'connected');
    await first.close();
    for (let n = 1; n < 10; n += 1) await publisher.publish('game:1', n);
    expect(await reconnected).toEqual({ url: second.wsUrl, instance: 'second' });
    expect(Date.now() - started, 'promptly: within the first backoff window').toBeLessThan(2000);
    await until(() => seen.length >= 10, 'ten messages');
    expect(seen.map((message: Message<number>) => message.data)).toEqual(Array.from({ length: 10 }, (_, n) => n));
    expect(events.find(([name]) => name === 'disconnected')?.[1]).toEqual({ code: 1001, reason: 'server shutting down' });
  });

  it('raises gap when the history no longer reaches back to the last position, then goes on from the oldest kept', async () => {
    const server = await startTestServer({ memory: { historyPerChannel: 3 } });
    const proxy = await startProxy(server.port);
    const { client } = testClient({ url: proxy.wsUrl });
    const seen: number[] = [];
    const gaps: GapEvent[] = [];
    const subscription = client.subscribe<number>('game:1', (message) => seen.push(message.data));
    subscription.on('gap', (gap) => gaps.push({ ...gap, seenBefore: seen.length } as GapEvent));
    await subscription.ready;
    const publisher = await connect(server);
    await publisher.publish('game:1', 0);
    await until(() => seen.length === 1, 'the first message');
    proxy.block();
    await next(client, 'disconnected');
    for (let n = 1; n <= 10; n += 1) await publisher.publish('game:1', n);
    proxy.unblock();
    await until(() => seen.length === 4, 'the three kept messages');
    expect(gaps).toMatchObject([{ channel: 'game:1', code: 'position_expired', seenBefore: 1 }]);
    expect(seen).toEqual([0, 8, 9, 10]);
    expect(subscription.active).toBe(true);
    await publisher.publish('game:1', 11);
    await until(() => seen.length === 5, 'a live message after the gap');
  });

  it('keeps retrying with backoff while the server is unreachable, then connects', async () => {
    const server = await startTestServer();
    const proxy = await startProxy(server.port);
    proxy.block();
    const { client, events } = testClient({ url: proxy.wsUrl, backoffBaseMs: 10, backoffMaxMs: 40 });
    await until(() => events.filter(([name]) => name === 'reconnecting').length >= 5, 'five attempts');
    const delays = events.filter(([name]) => name === 'reconnecting').map(([, payload]) => (payload as { delayMs: number }).delayMs);
    for (const [attempt, delay] of delays.entries()) expect(delay).toBeLessThan(Math.min(40, 10 * 2 ** attempt));
    expect(events.some(([name]) => name === 'disconnected'), 'never connected, so never disconnected').toBe(false);
    proxy.unblock();
    await next(client, 'connected');
  });
});
