import { randomBytes } from 'node:crypto';
import type { Message } from '@app/core';
import { pino } from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { deleteKeys, rawClient, waitUntil } from '../../driver-redis/test/support/test-bus.js';
import { startServer } from '../src/index.js';
import { LIVENESS_CHANNEL } from '../src/presence/presence-channel.js';
import { TestClient } from './support/test-client.js';

const url = inject('redisUrl');
const prefix = `pstreams${randomBytes(3).toString('hex')}:`;
const raw = rawClient(url);

afterAll(async () => {
  raw.disconnect();
  await deleteKeys(url, prefix);
});

describe('presence streams on Redis', () => {
  it('stores a channel\'s presence messages in its presence.<C> stream (a follower that lost its pub/sub link catches up a missed leave from it) and no alive, though alives go out live', async () => {
    const server = await startServer({
      env: { BUS: 'redis', REDIS_URL: url, REDIS_KEY_PREFIX: prefix, PRESENCE_TTL_MS: '3000', PRESENCE_HEARTBEAT_MS: '200' },
      config: { port: 0, host: '127.0.0.1' },
      logger: pino({ level: 'silent' }),
    });
    try {
      await waitUntil(() => server.bus.status() === 'ready', 10_000, 'the redis bus to be ready');
      const alives: unknown[] = [];
      const liveness = await server.bus.subscribe(LIVENESS_CHANNEL, (message: Message) => void alives.push(message.data));
      const client = await TestClient.connect(server.wsUrl);
      expect(await client.subscribe('room:1')).toMatchObject({ type: 'ack' });
      const stream = `${prefix}{presence.room}:presence.room:1`;
      await waitUntil(async () => (await raw.xlen(stream)) >= 2, 5000, 'the join and the sync in the presence stream');
      await waitUntil(() => alives.length >= 3, 5000, 'three alives delivered live');
      await client.close();
      await waitUntil(async () => (await raw.xlen(stream)) >= 3, 5000, 'the leave in the presence stream');
      const types = (await raw.xrange(stream, '-', '+')).map(([, fields]) => fields.join(' ').match(/"type":"(\w+)"/)?.[1]);
      expect(types).toEqual(['join', 'sync', 'leave']);
      expect(await raw.exists(`${prefix}{presence._instances}:presence._instances`), 'no stream of alives').toBe(0);
      await liveness.unsubscribe();
    } finally {
      await server.close();
    }
  });
});
