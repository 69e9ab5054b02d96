import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { deleteKeys, rawClient, waitUntil } from '../../driver-redis/test/support/test-bus.js';
import { startServer } from '../src/index.js';
import { TestClient } from './support/test-client.js';

const url = inject('redisUrl');
const prefix = `shutdown${randomBytes(3).toString('hex')}:`;
const raw = rawClient(url);

afterAll(async () => {
  await raw.call('CLIENT', 'UNPAUSE');
  raw.disconnect();
  await deleteKeys(url, prefix);
});

describe('shutdown on Redis', () => {
  it('answers publishes the bus already has before closing with 1001, so the client knows they were stored', async () => {
    const server = await startServer({
      env: { BUS: 'redis', REDIS_URL: url, REDIS_KEY_PREFIX: prefix },
      config: { port: 0, host: '127.0.0.1' },
      logger: pino({ level: 'silent' }),
    });
    await waitUntil(() => server.bus.status() === 'ready', 10_000, 'the redis bus to be ready');
    const client = await TestClient.connect(server.wsUrl);
    // Writes wait in Redis for a moment: the publish is with the bus when the shutdown starts.
    await raw.call('CLIENT', 'PAUSE', 400, 'WRITE');
    client.send({ type: 'publish', channel: 'lobby', data: 'in flight', id: 'p1' });
    await waitUntil(async () => ((await server.metrics.framesReceived.get()).values[0]?.value ?? 0) >= 1, 5000, 'the publish frame');
    await sleep(50);

    const closing = server.close();
    expect(await client.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    await closing;
    expect(client.repliesTo('p1')).toMatchObject([{ type: 'ack', id: 'p1' }]);
    expect(await raw.xlen(`${prefix}{lobby}:lobby`)).toBe(1);
  });
});
