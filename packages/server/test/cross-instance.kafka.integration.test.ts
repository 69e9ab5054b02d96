import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { cleanUpPrefix } from '../../driver-kafka/test/raw-kafka.js';
import { fanOutAcrossInstances, startTwoInstances, type TwoInstances } from './support/cross-instance.js';
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
    await fanOutAcrossInstances(instances, channels);
  }, 240_000);
});
