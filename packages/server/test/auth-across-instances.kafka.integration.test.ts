import { randomBytes } from 'node:crypto';
import { afterEach, describe, inject, it, onTestFinished } from 'vitest';
import { cleanUpPrefix } from '../../driver-kafka/test/raw-kafka.js';
import { authAcrossInstances, startAuthInstances } from './support/auth-across-instances.js';
import { killServerProcesses } from './support/server-process.js';

// The scenario stops the processes itself; this only catches a test that failed halfway.
afterEach(() => killServerProcesses());

describe('auth across server processes on Kafka', () => {
  it('carries the sub as user to the other instance, enforces grants and refresh there, and no process logs a token', async () => {
    const run = randomBytes(3).toString('hex');
    onTestFinished(() => cleanUpPrefix(`x${run}-`));
    const instances = await startAuthInstances({ BUS: 'kafka', KAFKA_BROKERS: inject('kafkaBrokers'), KAFKA_TOPIC_PREFIX: `x${run}-` });
    await authAcrossInstances(instances, run);
  }, 180_000);
});
