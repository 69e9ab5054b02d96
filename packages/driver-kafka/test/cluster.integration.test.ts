import { afterAll, describe, expect, it } from 'vitest';
import { testBus, uniqueName } from './bus-factory.js';
import { cleanUpPrefix, withAdmin } from './raw-kafka.js';

// What only a multi-broker cluster can show. CI runs the Kafka tests on three brokers
// (`pnpm kafka:up --nodes 3`); on a single broker this block is skipped and says so.
const brokers = (await withAdmin((admin) => admin.describeCluster())).brokers.length;
const prefix = `${uniqueName('cluster')}.`;

afterAll(() => cleanUpPrefix(prefix));

describe.skipIf(brokers < 3)(`on a cluster of three or more brokers${brokers < 3 ? ` [skipped: the test Kafka has ${brokers} broker(s)]` : ''}`, () => {
  it('creates topics with replication factor 3 by default, every replica in sync', async () => {
    const bus = await testBus({ topicPrefix: prefix });
    try {
      await bus.subscribe('replicated:1', () => {});
      const metadata = await withAdmin((admin) => admin.fetchTopicMetadata({ topics: [`${prefix}replicated`] }));
      const partitions = metadata.topics[0]?.partitions ?? [];
      expect(partitions.length).toBeGreaterThan(0);
      for (const partition of partitions) {
        expect(partition.replicas).toHaveLength(3);
        expect(partition.isr).toHaveLength(3);
      }
    } finally {
      await bus.close();
    }
  });

  it('spreads partition leaders over the brokers, so one broker is not the whole bus', async () => {
    const bus = await testBus({ topicPrefix: prefix, partitions: 6 });
    try {
      await bus.subscribe('spread:1', () => {});
      const metadata = await withAdmin((admin) => admin.fetchTopicMetadata({ topics: [`${prefix}spread`] }));
      const leaders = new Set((metadata.topics[0]?.partitions ?? []).map((partition) => partition.leader));
      expect(leaders.size).toBeGreaterThan(1);
    } finally {
      await bus.close();
    }
  });
});
