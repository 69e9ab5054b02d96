import { isBusError, type MessageBus } from '@app/core';
import { Inbox, settle } from '@app/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedisServer, type LocalRedis } from './harness/redis-server.js';
import { readyBus, uniquePrefix, waitUntil } from './support/test-bus.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, index) => from + index);

describe('redis bus across a Redis restart', () => {
  const buses: MessageBus[] = [];
  const servers: LocalRedis[] = [];

  afterEach(async () => {
    await Promise.allSettled(buses.splice(0).map((bus) => bus.close()));
    for (const server of servers.splice(0)) await server.dispose();
  });

  it('reports reconnecting, rejects publishes as retryable while down, and resumes with nothing lost or repeated', async () => {
    // A private server with the append-only file on, so what Redis acknowledged survives the restart.
    const first = await startRedisServer({ appendOnly: true });
    servers.push(first);
    const options = { url: first.url, keyPrefix: uniquePrefix('restart'), retryDelayMs: 20, persistent: true };
    const publisher = await readyBus(options);
    const subscriber = await readyBus(options);
    buses.push(publisher, subscriber);
    expect(publisher.features.has('persistent')).toBe(true);
    const broadcast = new Inbox<number>();
    const workers = new Inbox<number>();
    await subscriber.subscribe('game:1', broadcast.handler);
    await subscriber.subscribe('game:1', workers.handler, { mode: 'group', group: 'workers' });

    for (const index of range(0, 10)) await publisher.publish('game:1', index);
    await broadcast.waitFor(10, 10_000, 'messages before the restart');

    await first.stop();
    await waitUntil(() => publisher.status() === 'reconnecting' && subscriber.status() === 'reconnecting', 10_000, 'status "reconnecting"');
    const refused = await publisher.publish('game:1', 'while down').catch((error: unknown) => error);
    expect(isBusError(refused) && refused.reason, String(refused)).toBe('not_connected');
    expect(isBusError(refused) && refused.isRetryable).toBe(true);

    const second = await startRedisServer({ port: first.port, dir: first.dir, appendOnly: true });
    servers.push(second);
    await waitUntil(() => publisher.status() === 'ready' && subscriber.status() === 'ready', 15_000, 'status "ready" after the restart');

    for (const index of range(10, 20)) await publisher.publish('game:1', index);
    await broadcast.waitFor(20, 15_000, 'messages after the restart');
    await workers.waitFor(20, 15_000, 'group messages after the restart');
    await settle(300);
    expect(broadcast.data).toEqual(range(0, 20));
    expect([...workers.data].sort((a, b) => a - b)).toEqual(range(0, 20));
  });
});
