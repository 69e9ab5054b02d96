import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it, onTestFinished } from 'vitest';
import { cleanUpPrefix } from '../../driver-kafka/test/raw-kafka.js';
import { PRESENCE_HEARTBEAT_MS, PRESENCE_TTL_MS, presenceAcrossInstances } from './support/presence-across-instances.js';
import { killServerProcesses } from './support/server-process.js';

// The scenario stops the processes itself; this only catches a test that failed halfway.
afterEach(() => killServerProcesses());

describe('presence across server processes on Kafka', () => {
  it('joins and leaves reach the other instance, users are listed once, a killed instance\'s users leave within TTL + heartbeat, a restart lists them once', async () => {
    const run = randomBytes(3).toString('hex');
    // The broker is shared with other test files: leave no topics (presence.room among them) or groups behind.
    onTestFinished(() => cleanUpPrefix(`x${run}-`));
    const { leaveAfterKillMs } = await presenceAcrossInstances({ BUS: 'kafka', KAFKA_BROKERS: inject('kafkaBrokers'), KAFKA_TOPIC_PREFIX: `x${run}-` }, run);
    console.info(`Kafka: users of the SIGKILLed instance left ${leaveAfterKillMs.join(' and ')} ms after the kill (TTL ${PRESENCE_TTL_MS}, heartbeat ${PRESENCE_HEARTBEAT_MS})`);
    expect(leaveAfterKillMs).toHaveLength(2);
  }, 240_000);
});
