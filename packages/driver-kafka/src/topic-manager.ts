import {
  BusError,
  channelNamespace,
  delay,
  withTimeout,
  type BusLogger,
} from '@app/core';
import type { Admin } from 'kafkajs';
import { channelPartition } from './channel-partition.js';
import { mapKafkaError } from './map-error.js';
import { retryRetriable } from './retry-retriable.js';

/** Room for the key, CloudEvents headers and batch framing on top of the payload limit. */
const RECORD_OVERHEAD_BYTES = 64 * 1024;
/** Kafka's default `max.message.bytes`; topics that need more get it set explicitly. */
const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
/** Leaders move rarely (restarts, preferred-leader elections); a stale view only costs batching. */
const LAYOUT_MAX_AGE_MS = 30_000;

/** Partition count and leader broker of each partition, as last seen. */
interface TopicLayout {
  readonly count: number;
  readonly leaders: readonly number[];
  readonly fetchedAt: number;
}

/** High and low watermark of one partition. */
export interface PartitionOffsets {
  readonly partition: number;
  /** The offset the next record will get. */
  readonly high: bigint;
  /** The oldest offset still kept. */
  readonly low: bigint;
}

export interface TopicSettings {
  readonly prefix: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** `min.insync.replicas` of created topics; undefined: the broker's default. */
  readonly minInsyncReplicas: number | undefined;
  readonly createTopics: boolean;
  /** Azure Event Hubs (its preset): a missing topic is an event hub to create in the portal. */
  readonly topicsAreEventHubs: boolean;
  readonly timeoutMs: number;
  readonly maxPayloadBytes: number;
}

/**
 * `admin.fetchTopicOffsets`, with kafkajs's known race made retriable: while another topic's
 * metadata is being refreshed on the same admin (two new topics subscribed at once, as presence
 * does), it can find no partitions and fail with a `TypeError` ("Cannot destructure property
 * 'partitions'", kafkajs issue #461). Asking again a moment later succeeds.
 */
async function fetchTopicOffsets(admin: Admin, topic: string): ReturnType<Admin['fetchTopicOffsets']> {
  try {
    return await admin.fetchTopicOffsets(topic);
  } catch (error) {
    // Only kafkajs's own destructuring of an empty answer: any other TypeError is a bug to report.
    if (!(error instanceof TypeError) || !/destructure property 'partitions'/.test(error.message)) throw error;
    throw Object.assign(new Error(`kafkajs found no partitions of topic "${topic}" (${error.message})`, { cause: error }), { retriable: true });
  }
}

/** Maps channels to topics and makes sure those topics exist (once per topic and bus). */
export class TopicManager {
  private readonly ensured = new Map<string, Promise<void>>();
  private readonly layouts = new Map<string, TopicLayout>();
  private readonly refreshing = new Set<string>();

  constructor(
    private readonly admin: Admin,
    private readonly settings: TopicSettings,
    private readonly logger: BusLogger,
  ) {}

  /** `game:42` → `<prefix>game`. */
  topicOf(channel: string): string {
    return `${this.settings.prefix}${channelNamespace(channel)}`;
  }

  /** Resolves once `topic` exists with leaders; a failure is not cached, so the next call tries again. */
  ensure(topic: string): Promise<void> {
    let pending = this.ensured.get(topic);
    if (pending === undefined) {
      pending = withTimeout(this.create(topic), this.settings.timeoutMs, `topic "${topic}" to exist (created with ${this.settings.partitions} partitions)`);
      this.ensured.set(topic, pending);
      pending.catch(() => this.ensured.delete(topic));
    }
    return pending;
  }

  /**
   * The partition of `channel` (which must be on `topic`), as kafkajs's default partitioner
   * would pick it. Known once `ensure(topic)` resolved.
   */
  partitionOf(topic: string, channel: string): number {
    const layout = this.layouts.get(topic);
    if (layout === undefined) throw new BusError('internal', `partition layout of topic "${topic}" is not known yet`);
    return channelPartition(topic, channel, layout.count);
  }

  /**
   * The broker that led `partition` when last looked (undefined if unknown). A view older than
   * 30 s is refreshed in the background; callers use it only to group records per broker.
   */
  leaderOf(topic: string, partition: number): number | undefined {
    const layout = this.layouts.get(topic);
    if (layout === undefined) return undefined;
    if (Date.now() - layout.fetchedAt > LAYOUT_MAX_AGE_MS) this.refreshLayout(topic);
    return layout.leaders[partition];
  }

  /** Looks up the leaders of `topic` again, in the background (after a failed publish, say). */
  refreshLayout(topic: string): void {
    if (this.refreshing.has(topic) || !this.layouts.has(topic)) return;
    this.refreshing.add(topic);
    this.fetchLayout(topic)
      .catch((error: unknown) => this.logger.debug({ topic, err: error }, 'could not refresh kafka partition leaders'))
      .finally(() => this.refreshing.delete(topic));
  }

  /**
   * Watermarks of every partition of `topic`, ordered by partition. Retries while a partition
   * has no leader yet (a topic another instance just created, a broker that just restarted).
   */
  async offsets(topic: string): Promise<PartitionOffsets[]> {
    let answer: Awaited<ReturnType<Admin['fetchTopicOffsets']>>;
    try {
      answer = await withTimeout(retryRetriable(() => fetchTopicOffsets(this.admin, topic), this.settings.timeoutMs), this.settings.timeoutMs, `the offsets of topic "${topic}"`);
    } catch (error) {
      throw mapKafkaError(error, `fetching the offsets of topic "${topic}"`);
    }
    return answer
      .map((entry) => ({ partition: entry.partition, high: BigInt(entry.high), low: BigInt(entry.low) }))
      .sort((a, b) => a.partition - b.partition);
  }

  /** The high watermark (next offset) of every partition of `topic`: where "live from now" starts. */
  async highWatermarks(topic: string): Promise<Map<number, bigint>> {
    return new Map((await this.offsets(topic)).map((entry) => [entry.partition, entry.high]));
  }

  /** Waits until every partition of `topic` has a leader: creation by another client may still be under way. */
  private async waitForLeaders(topic: string): Promise<void> {
    await retryRetriable(() => this.fetchLayout(topic), this.settings.timeoutMs);
  }

  /** Reads partitions and leaders of `topic`; retriable while a partition has no leader. */
  private async fetchLayout(topic: string): Promise<void> {
    const metadata = await this.admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = metadata.topics[0]?.partitions ?? [];
    if (partitions.length === 0 || partitions.some((partition) => partition.leader < 0)) {
      throw Object.assign(new Error(`topic "${topic}" has partitions without a leader`), { retriable: true });
    }
    const leaders: number[] = [];
    for (const partition of partitions) leaders[partition.partitionId] = partition.leader;
    this.layouts.set(topic, { count: partitions.length, leaders, fetchedAt: Date.now() });
  }

  /** The `config` error for a topic that is missing while creation is off: names it and what exists. */
  private missing(topic: string, existing: readonly string[]): BusError {
    if (!this.settings.topicsAreEventHubs) {
      return new BusError('config', `topic "${topic}" does not exist and topic creation is off (KAFKA_CREATE_TOPICS=false): create it with the partitions you want, key = channel`);
    }
    const hubs = existing.filter((name) => !name.startsWith('__')).sort();
    const listed = hubs.length === 0 ? 'it has none' : `it has ${hubs.slice(0, 20).join(', ')}${hubs.length > 20 ? `, and ${hubs.length - 20} more` : ''}`;
    return new BusError(
      'config',
      `event hub "${topic}" does not exist in the namespace (KAFKA_PRESET=azure-event-hubs: topics are event hubs, which the driver cannot create): ` +
        `create it in the Azure portal with the partitions you want (${listed})`,
    );
  }

  private async create(topic: string): Promise<void> {
    try {
      const existing = await this.admin.listTopics();
      if (existing.includes(topic)) {
        await this.waitForLeaders(topic);
        return;
      }
      if (!this.settings.createTopics) throw this.missing(topic, existing);
      const recordBytes = this.settings.maxPayloadBytes + RECORD_OVERHEAD_BYTES;
      const configEntries = recordBytes > KAFKA_DEFAULT_MAX_MESSAGE_BYTES ? [{ name: 'max.message.bytes', value: String(recordBytes) }] : [];
      const { minInsyncReplicas } = this.settings;
      if (minInsyncReplicas !== undefined) configEntries.push({ name: 'min.insync.replicas', value: String(minInsyncReplicas) });
      const created = await this.admin.createTopics({
        topics: [{ topic, numPartitions: this.settings.partitions, replicationFactor: this.settings.replicationFactor, configEntries }],
        waitForLeaders: true,
        timeout: this.settings.timeoutMs,
      });
      // false: another client created it meanwhile, and its leaders may not be elected yet.
      // Either way the layout is read: publishes pick partitions and group them by leader.
      await this.waitForLeaders(topic);
      if (created) {
        this.logger.info(
          { topic, partitions: this.settings.partitions, replicationFactor: this.settings.replicationFactor },
          'created kafka topic',
        );
      }
    } catch (error) {
      throw mapKafkaError(error, `creating topic "${topic}"`);
    }
  }
}
