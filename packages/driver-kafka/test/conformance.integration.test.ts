import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { runConformanceSuite } from '@app/core/testing';
import { parsePosition } from '../src/position.js';
import { testBrokers, testBus, uniqueName } from './bus-factory.js';
import { cleanUpPrefix, withAdmin } from './raw-kafka.js';
import type { RemoteKafkaArgs } from './remote-bus.js';

// Each run gets its own topic prefix: a clean namespace, and nothing of earlier runs to read.
const topicPrefix = `${uniqueName('conf')}.`;

runConformanceSuite({
  name: 'kafka',
  // A small queue bound and close timeout keep the slow-subscriber and hung-handler cases short.
  setup: async () => ({ bus: await testBus({ topicPrefix, clientId: 'conformance', maxPendingPerSubscription: 50, closeTimeoutMs: 2000 }) }),
  slowSubscriberBound: 50,
  closeTimeoutMs: 2000,
  remote: () => ({
    module: fileURLToPath(new URL('./remote-bus.ts', import.meta.url)),
    export: 'remoteKafkaBus',
    args: { brokers: testBrokers(), topicPrefix } satisfies RemoteKafkaArgs,
  }),
  // Retention's effect, by hand: records of the channel's partition before `before` are deleted.
  truncateHistory: async (_channel, before) => {
    const { topic, partition, offset } = parsePosition(before);
    await withAdmin(async (admin) => {
      // kafkajs's deleteTopicRecords finds the leader in metadata it does not load itself.
      await admin.fetchTopicMetadata({ topics: [topic] });
      await admin.deleteTopicRecords({ topic, partitions: [{ partition, offset: offset.toString() }] });
    });
  },
  // The cluster is shared with every other test running now: stopping a broker here would fail theirs.
  withoutHooks: {
    restartBackend: 'the shared Kafka cluster is not restarted here; persistence across broker restarts is tested in test/broker-restart.integration.test.ts and, at the repository root, test/faults/kafka-node-loss.test.ts',
    cutConnection: 'the shared Kafka cluster is not cut off here; a lost and regained broker is tested in test/broker-restart.integration.test.ts and, at the repository root, test/faults/kafka-node-loss.test.ts',
  },
  timeoutMs: 20_000,
});

afterAll(() => cleanUpPrefix(topicPrefix));
