import { Partitioners, type PartitionMetadata } from 'kafkajs';

const partitioner = Partitioners.DefaultPartitioner();
/** The partitioner only reads the length of this list; one per partition count is enough. */
const metadataByCount = new Map<number, PartitionMetadata[]>();
/** murmur2 over the key shows in publish profiles; rooms publish many times, so remember it. */
const cache = new Map<string, number>();
const CACHE_LIMIT = 100_000;

/**
 * The partition kafkajs's default partitioner (Java-compatible murmur2 of the key) puts
 * `channel` on, in a topic of `count` partitions. Keyed records never use the partitioner's
 * round-robin state, so one shared instance is enough.
 */
export function channelPartition(topic: string, channel: string, count: number): number {
  const key = `${count}/${channel}`;
  const known = cache.get(key);
  if (known !== undefined) return known;
  // Bounded the simple way: channels come and go, and recomputing is cheap enough now and then.
  if (cache.size >= CACHE_LIMIT) cache.clear();
  const partition = hash(topic, channel, count);
  cache.set(key, partition);
  return partition;
}

function hash(topic: string, channel: string, count: number): number {
  let partitionMetadata = metadataByCount.get(count);
  if (partitionMetadata === undefined) {
    partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [], isr: [] }));
    metadataByCount.set(count, partitionMetadata);
  }
  return partitioner({ topic, partitionMetadata, message: { key: channel, value: null } });
}
