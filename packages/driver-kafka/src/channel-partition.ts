import { Partitioners } from 'kafkajs';

const partitioner = Partitioners.DefaultPartitioner();

/**
 * The partition the publisher's partitioner (kafkajs's Java-compatible murmur2 of the key)
 * puts `channel` on, in a topic of `count` partitions. Keyed records never use the
 * partitioner's round-robin state, so one shared instance is enough.
 */
export function channelPartition(topic: string, channel: string, count: number): number {
  const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [], isr: [] }));
  return partitioner({ topic, partitionMetadata, message: { key: channel, value: null } });
}
