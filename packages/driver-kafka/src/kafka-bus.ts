import { randomBytes } from 'node:crypto';
import {
  type BusFeature,
  type BusLimits,
  type BusSecurity,
  type BusStatus,
  type MessageBus,
  type MessageHandler,
  type PublishOptions,
  type PublishReceipt,
  type ReplayStart,
  type SubscribeOptions,
  type Subscription,
} from '@app/core';
import { BusLifecycle, preparePublish, resolveSubscribeOptions, withTimeout, type ResolvedSubscribeOptions } from '@app/core/driver';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { GroupReader } from './group-reader.js';
import { HealthProbe } from './health-probe.js';
import { LocalSubscription, type ReaderLink } from './local-subscription.js';
import { ManagedConsumer, type ConsumerHooks } from './managed-consumer.js';
import type { ResolvedKafkaBusOptions } from './options.js';
import { Publisher } from './publisher.js';
import { decodeRecord, decodeRecordAs, encodeRecord, keyError, type DecodedRecord } from './record-codec.js';
import { planReplay } from './replay-plan.js';
import { StatusTracker } from './status-tracker.js';
import type { TopicManager } from './topic-manager.js';
import { TopicReader, type RecordDecoder } from './topic-reader.js';
import { mapKafkaError } from './map-error.js';
import { retryRetriable } from './retry-retriable.js';
import { securitySummary } from './security-summary.js';

const FEATURES: ReadonlySet<BusFeature> = new Set(['crossInstance', 'orderedPerChannel', 'persistent', 'replay', 'groups']);

/** What the bus is built from; `createKafkaBus` connects these before the bus is handed out. */
export interface KafkaBusParts {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly topics: TopicManager;
  readonly publisher: Publisher;
  readonly probe: HealthProbe;
  readonly status: StatusTracker;
}

/** The Kafka bus. Private: callers get it as a `MessageBus` from `createKafkaBus`. */
export class KafkaBus implements MessageBus {
  readonly driver = 'kafka';
  readonly features = FEATURES;
  readonly limits: BusLimits;
  readonly security: BusSecurity;
  /** Tells this bus's consumer groups apart from those of other buses with the same client id. */
  private readonly instance = randomBytes(4).toString('hex');
  private replayCounter = 0;
  private readonly broadcast = new Map<string, TopicReader>();
  private readonly groups = new Map<string, GroupReader>();
  private readonly replays = new Set<TopicReader>();
  private readonly lifecycle: BusLifecycle;

  constructor(
    private readonly options: ResolvedKafkaBusOptions,
    private readonly parts: KafkaBusParts,
  ) {
    this.limits = { maxPayloadBytes: options.maxPayloadBytes };
    this.security = securitySummary(options);
    this.lifecycle = new BusLifecycle('kafka', options.closeTimeoutMs, options.logger);
  }

  status(): BusStatus {
    return this.parts.status.status();
  }

  publish(channel: string, data: unknown, options?: PublishOptions): Promise<PublishReceipt> {
    if (this.lifecycle.closed) return Promise.reject(this.lifecycle.closedError());
    let work: Promise<PublishReceipt>;
    try {
      const prepared = preparePublish(channel, data, options, this.limits);
      const topic = this.parts.topics.topicOf(channel);
      const ce = { source: this.options.ceSource, type: this.options.ceType };
      // Every publish on a topic awaits the same ensure promise, so call order is kept.
      const { topics, publisher } = this.parts;
      work = topics.ensure(topic).then(() => {
        const record = encodeRecord(prepared, topics.partitionOf(topic, channel), ce, Date.now());
        return publisher.publish(topic, channel, prepared.id, record, prepared.size);
      });
    } catch (error) {
      return Promise.reject(error);
    }
    return this.lifecycle.trackPublish(work);
  }

  async subscribe<T = unknown>(channel: string, handler: MessageHandler<T>, options?: SubscribeOptions): Promise<Subscription> {
    this.lifecycle.assertOpen();
    // Refuses `from` with group mode too: a group resumes from its committed offsets.
    const resolved = resolveSubscribeOptions(channel, handler, options, this.features);
    try {
      const topic = this.parts.topics.topicOf(channel);
      await this.parts.topics.ensure(topic);
      this.lifecycle.assertOpen();
      if (resolved.from !== undefined) return await this.subscribeReplay(channel, topic, handler as MessageHandler, resolved, resolved.from);
      if (resolved.mode === 'group') return await this.subscribeGroup(channel, topic, handler as MessageHandler, resolved);
      return await this.subscribeBroadcast(channel, topic, handler as MessageHandler, resolved);
    } catch (error) {
      // close() tears down the clients under a subscribe in flight; that is "closed", not a broker fault.
      this.lifecycle.assertOpen();
      throw error;
    }
  }

  close(): Promise<void> {
    return this.lifecycle.close(() => this.shutdown());
  }

  private async subscribeBroadcast(channel: string, topic: string, handler: MessageHandler, options: ResolvedSubscribeOptions): Promise<Subscription> {
    let reader = this.broadcast.get(topic);
    if (reader === undefined) {
      const created = new TopicReader(topic, this.groupId('bcast', topic), () => this.parts.topics.highWatermarks(topic), this.recordDecoder(), this.consumerFactory());
      this.broadcast.set(topic, created);
      created.start().catch(() => {
        if (this.broadcast.get(topic) === created) this.broadcast.delete(topic);
      });
      reader = created;
    }
    const live = reader;
    const subscription = this.local(channel, 'none', handler, options, { detach: (ended) => live.remove(ended) });
    live.add(subscription, this.parts.topics.partitionOf(topic, channel));
    return this.whenLive(subscription, live.start());
  }

  private async subscribeGroup(channel: string, topic: string, handler: MessageHandler, options: ResolvedSubscribeOptions): Promise<Subscription> {
    // One Kafka group per (channel, group): records of other channels never reach these members.
    const groupId = `${this.options.topicPrefix}grp:${options.group as string}:${channel}`;
    let reader = this.groups.get(groupId);
    if (reader === undefined) {
      reader = new GroupReader(channel, topic, groupId, {
        decode: this.decoder(),
        createConsumer: this.consumerFactory(),
        startOffsets: async () => this.missingGroupOffsets(groupId, topic),
        committedOffsets: async () => this.committedGroupOffsets(groupId, topic),
        publish: (target, data, publishOptions) => this.publish(target, data, publishOptions),
        redeliveryDelayMs: this.options.redeliveryDelayMs,
        logger: this.options.logger,
      });
      this.groups.set(groupId, reader);
    }
    const live = reader;
    const subscription = this.local(channel, 'none', handler, options, {
      detach: (ended) => live.remove(ended),
      release: async () => {
        if (live.size > 0) return;
        if (this.groups.get(groupId) === live) this.groups.delete(groupId);
        await live.stop();
      },
    });
    live.add(subscription);
    return this.whenLive(subscription, live.start());
  }

  private async subscribeReplay(channel: string, topic: string, handler: MessageHandler, options: ResolvedSubscribeOptions, from: string): Promise<Subscription> {
    const plan = planReplay(from, channel, topic, await this.parts.topics.offsets(topic));
    this.lifecycle.assertOpen();
    this.replayCounter += 1;
    const groupId = this.groupId('replay', `${topic}-${this.replayCounter}`);
    const reader = new TopicReader(topic, groupId, async () => plan.startOffsets, this.recordDecoder(), this.consumerFactory());
    this.replays.add(reader);
    const subscription = this.local(channel, plan.replay, handler, options, {
      detach: (ended) => reader.remove(ended),
      release: async () => {
        this.replays.delete(reader);
        await reader.stop();
      },
    });
    reader.add(subscription);
    subscription.startAfter(plan.from);
    return this.whenLive(subscription, reader.start());
  }

  /** Resolves with the subscription once its reader is live; undoes it if that fails. */
  private async whenLive(subscription: LocalSubscription, live: Promise<void>): Promise<Subscription> {
    try {
      await live;
    } catch (error) {
      await subscription.unsubscribe();
      this.lifecycle.assertOpen();
      throw error;
    }
    if (this.lifecycle.closed) {
      await subscription.unsubscribe();
      this.lifecycle.assertOpen();
    }
    return subscription;
  }

  /** A subscription that this bus tracks until it ends, so `close()` can end it. */
  private local(channel: string, replay: ReplayStart, handler: MessageHandler, options: ResolvedSubscribeOptions, link: ReaderLink): LocalSubscription {
    const { maxPendingPerSubscription: maxPending, closeTimeoutMs, logger } = this.options;
    return this.lifecycle.adopt(new LocalSubscription({ channel, replay, handler, options, maxPending, closeTimeoutMs, logger }, link));
  }

  private groupId(kind: 'bcast' | 'replay', suffix: string): string {
    return `${this.options.topicPrefix}${kind}-${this.options.clientId}-${this.instance}-${suffix}`;
  }

  /** Partitions without a committed offset for `groupId`, mapped to where they start (the end). */
  private async missingGroupOffsets(groupId: string, topic: string): Promise<Map<number, bigint>> {
    const high = await this.parts.topics.highWatermarks(topic);
    for (const partition of (await this.committedGroupOffsets(groupId, topic)).keys()) high.delete(partition);
    return high;
  }

  /** The committed offsets of `groupId` on `topic`, for the partitions that have one. */
  private async committedGroupOffsets(groupId: string, topic: string): Promise<Map<number, bigint>> {
    let committed: Awaited<ReturnType<Admin['fetchOffsets']>>;
    try {
      committed = await withTimeout(
        retryRetriable(() => this.parts.admin.fetchOffsets({ groupId, topics: [topic] }), this.options.requestTimeoutMs),
        this.options.requestTimeoutMs,
        `the committed offsets of consumer group "${groupId}"`,
      );
    } catch (error) {
      throw mapKafkaError(error, `fetching the committed offsets of consumer group "${groupId}"`);
    }
    const result = new Map<number, bigint>();
    for (const entry of committed.find((item) => item.topic === topic)?.partitions ?? []) {
      if (BigInt(entry.offset) >= 0n) result.set(entry.partition, BigInt(entry.offset));
    }
    return result;
  }

  private decoder(): (topic: string, partition: number, record: KafkaMessage) => DecodedRecord {
    return (topic, partition, record) => decodeRecord(topic, partition, record, (channel) => this.parts.topics.topicOf(channel));
  }

  private recordDecoder(): RecordDecoder {
    const topicOf = (channel: string): string => this.parts.topics.topicOf(channel);
    return {
      keyError: (topic, partition, record, key) => keyError(topic, partition, record, key, topicOf),
      decodeAs: decodeRecordAs,
    };
  }

  private consumerFactory(): (groupId: string, topic: string, hooks: ConsumerHooks) => ManagedConsumer {
    const { options, parts } = this;
    const settings = {
      sessionTimeoutMs: options.sessionTimeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      fetchMaxWaitMs: options.fetchMaxWaitMs,
      connectTimeoutMs: options.connectTimeoutMs,
      subscribeTimeoutMs: options.subscribeTimeoutMs,
      closeTimeoutMs: options.closeTimeoutMs,
    };
    return (groupId, topic, hooks) =>
      new ManagedConsumer(parts.kafka, groupId, topic, settings, hooks, parts.status, options.logger, async (stopped) => {
        // Broadcast and replay groups commit nothing; deleting them keeps the cluster tidy.
        if (stopped.startsWith(`${options.topicPrefix}grp:`)) return;
        try {
          await withTimeout(parts.admin.deleteGroups([stopped]), options.closeTimeoutMs, `consumer group "${stopped}" to be deleted`);
        } catch (error) {
          options.logger.debug({ groupId: stopped, err: error }, 'could not delete kafka consumer group; it expires on its own');
        }
      });
  }

  private async shutdown(): Promise<void> {
    const { parts, options } = this;
    parts.status.markClosed();
    parts.probe.stop();
    // Taken now: ending a subscription drops its group or replay reader from these collections,
    // and close must still wait for that reader's consumer to stop.
    const readers = [...this.broadcast.values(), ...this.groups.values(), ...this.replays];
    await this.lifecycle.settlePublishes();
    await parts.publisher.flush();
    await this.lifecycle.endSubscriptions();
    this.broadcast.clear();
    this.groups.clear();
    this.replays.clear();
    await Promise.allSettled(readers.map((reader) => reader.stop()));
    await parts.publisher.close(options.closeTimeoutMs);
    await Promise.allSettled([withTimeout(parts.admin.disconnect(), options.closeTimeoutMs, 'the Kafka admin client to disconnect')]);
  }
}
