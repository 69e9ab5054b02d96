import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { cleanUpPrefix } from '../../driver-kafka/test/raw-kafka.js';
import { expectInOrder, publishMany, startTwoInstances, subscriber, type TwoInstances } from './support/cross-instance.js';
import { killServerProcesses } from './support/server-process.js';

// Two real server processes with BUS=kafka against the harness's real broker.
describe('across server instances on Kafka', () => {
  const run = randomBytes(3).toString('hex');
  const channels = [`game:${run}-1`, `game:${run}-2`];
  let instances: TwoInstances;

  beforeAll(async () => {
    instances = await startTwoInstances({ BUS: 'kafka', KAFKA_BROKERS: inject('kafkaBrokers'), KAFKA_TOPIC_PREFIX: `x${run}-` });
  }, 120_000);

  afterAll(async () => {
    await instances?.stop();
    killServerProcesses();
    // The broker is shared with other test files: leave no topics or groups of this run behind.
    await cleanUpPrefix(`x${run}-`);
  }, 60_000);

  it('1,000 messages published on one instance reach every subscriber on both, none lost, in order per channel', async () => {
    const [a, b] = instances.urls;
    const listeners = await Promise.all([subscriber(a, channels), subscriber(a, channels), subscriber(b, channels), subscriber(b, channels)]);
    const publisher = await subscriber(a, []);
    await publishMany(publisher, channels, 1000, 'a');
    for (const [index, client] of listeners.entries()) await expectInOrder(client, channels, 500, 'a', `subscriber ${index} on ${index < 2 ? 'A' : 'B'}`);

    const backwards = await subscriber(b, []);
    await publishMany(backwards, channels, 100, 'b');
    for (const [index, client] of listeners.entries()) await expectInOrder(client, channels, 50, 'b', `subscriber ${index}`);
    await Promise.all([...listeners, publisher, backwards].map((client) => client.close()));
  }, 240_000);
});
