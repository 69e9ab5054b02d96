import { withTimeout } from '@app/core';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, inject, it, onTestFinished } from 'vitest';
import { startRedisServer, type LocalRedis } from '../../driver-redis/test/harness/redis-server.js';
import { deleteKeys } from '../../driver-redis/test/support/test-bus.js';
import { fanOutAcrossInstances, startTwoInstances, subscriber, type TwoInstances } from './support/cross-instance.js';
import { killServerProcesses } from './support/server-process.js';
import type { TestClient } from './support/test-client.js';

const running: TwoInstances[] = [];
let privateRedis: LocalRedis | undefined;

afterEach(async () => {
  for (const instances of running.splice(0)) await instances.stop();
  killServerProcesses();
}, 60_000);

afterAll(async () => {
  await privateRedis?.dispose();
});

/** Publishes one message and waits for its answer; retries (same data) until it is acked. */
async function publishUntilAcked(client: TestClient, channel: string, data: object): Promise<number> {
  for (let failures = 0; ; failures += 1) {
    const reply = await withTimeout(client.request({ type: 'publish', channel, data }), 30_000, `the answer to a publish on ${channel}`);
    if (reply.type === 'ack') return failures;
    expect(reply.code, JSON.stringify(reply)).toBe('bus_unavailable');
    if (failures > 600) throw new Error('the bus did not come back within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('across server instances on Redis', () => {
  it('1,000 messages published on one instance reach every subscriber on both, none lost, in order per channel', async () => {
    const run = randomBytes(3).toString('hex');
    const channels = [`game:${run}-1`, `game:${run}-2`];
    const instances = await startTwoInstances({ BUS: 'redis', REDIS_URL: inject('redisUrl'), REDIS_KEY_PREFIX: `x${run}:` });
    running.push(instances);
    // The Redis is shared: this run's streams go once the test is over.
    onTestFinished(() => deleteKeys(inject('redisUrl'), `x${run}:`));
    await fanOutAcrossInstances(instances, channels);
  }, 240_000);

  it('a Redis restart in the middle of the stream loses nothing that was acked', async () => {
    // A private Redis with its append-only file on, so what it acknowledged survives the restart.
    privateRedis = await startRedisServer({ appendOnly: true });
    const redis = privateRedis;
    const channel = `game:restart-${randomBytes(3).toString('hex')}`;
    const instances = await startTwoInstances({ BUS: 'redis', REDIS_URL: redis.url });
    running.push(instances);
    const [a, b] = instances.urls;
    const listeners = await Promise.all([subscriber(a, [channel]), subscriber(b, [channel])]);
    const publisher = await subscriber(a, []);

    let refused = 0;
    let restart: Promise<void> | undefined;
    for (let seq = 0; seq < 1000; seq += 1) {
      refused += await publishUntilAcked(publisher, channel, { seq });
      if (seq === 400) {
        await redis.stop();
        restart = new Promise((resolve) => setTimeout(resolve, 1000)).then(async () => {
          privateRedis = await startRedisServer({ port: redis.port, dir: redis.dir, appendOnly: true });
        });
      }
    }
    await restart;
    expect(refused, 'publishes were refused while Redis was down').toBeGreaterThan(0);

    for (const [index, client] of listeners.entries()) {
      await withTimeout(client.next(() => client.messages(channel).length >= 1000), 60_000, `1000 messages at subscriber ${index}`);
      const seqs = client.messages(channel).map((frame) => (frame.data as { seq: number }).seq);
      // A publish refused mid-flight may still have been stored, so its retry can repeat it; order holds.
      const distinct = seqs.filter((seq, position) => position === 0 || seq !== seqs[position - 1]);
      expect(distinct, `subscriber ${index}: every acked message, in order`).toEqual(Array.from({ length: 1000 }, (_, seq) => seq));
    }
    await Promise.all([...listeners, publisher].map((client) => client.close()));
  }, 240_000);
});
