import type { BusError } from '@app/core';
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { LocalSubscription } from './local-subscription.js';
import { BEFORE_FIRST, formatPosition } from './position.js';
import type { ConsumerHooks, ManagedConsumer } from './managed-consumer.js';
import { mapDispatchError } from './map-error.js';
import type { DecodedRecord } from './record-codec.js';

/** How a reader turns records into messages (see record-codec.ts). */
export interface RecordDecoder {
  /** Why a record's key names no channel of its topic; undefined when it does. */
  keyError(topic: string, partition: number, record: KafkaMessage, key: string | undefined): BusError | undefined;
  /** Decodes a record whose key is `channel`, known to be a channel of `topic`. */
  decodeAs(topic: string, partition: number, record: KafkaMessage, channel: string): DecodedRecord;
}

/** Builds the consumer of a reader from its hooks (the bus knows the Kafka settings). */
export type ConsumerFactory = (groupId: string, topic: string, hooks: ConsumerHooks) => ManagedConsumer;

/**
 * Reads one topic in a consumer group of its own and hands each record to the local
 * subscribers of the record's channel: the broadcast reader of a topic (shared by every
 * broadcast subscription on it in this process) and the reader of one replay subscription.
 *
 * The group never commits; instead the reader keeps the next offset of every partition itself
 * and seeks there on every join. That is what makes `subscribe` live when it resolves (the
 * first seek goes to offsets fetched before the consumer started) and what lets a consumer
 * that kafkajs restarted after a broker outage go on exactly where it stopped.
 */
export class TopicReader {
  private readonly subscribers = new Map<string, Set<LocalSubscription>>();
  private next = new Map<number, bigint>();
  /** Added before the start offsets were known, with the partition to place each on; undefined once they are. */
  private unplaced: { subscription: LocalSubscription; partition: number }[] | undefined = [];
  private readonly consumer: ManagedConsumer;
  private started: Promise<void> | undefined;

  constructor(
    readonly topic: string,
    readonly groupId: string,
    private readonly startOffsets: () => Promise<ReadonlyMap<number, bigint>>,
    private readonly decoder: RecordDecoder,
    createConsumer: ConsumerFactory,
  ) {
    this.consumer = createConsumer(groupId, topic, {
      onJoin: (partitions, consumer) => this.seek(partitions, consumer),
      eachBatch: async (payload) => this.dispatchBatch(payload),
    });
  }

  get size(): number {
    let total = 0;
    for (const set of this.subscribers.values()) total += set.size;
    return total;
  }

  /** Resolves once the reader is live; every caller gets the same promise. */
  start(): Promise<void> {
    this.started ??= (async () => {
      this.next = new Map(await this.startOffsets());
      const waiting = this.unplaced ?? [];
      this.unplaced = undefined;
      for (const { subscription, partition } of waiting) this.place(subscription, partition);
      await this.consumer.start();
    })();
    return this.started;
  }

  /**
   * Hands `subscription` the records of its channel from the next one dispatched on. With
   * `partition` (the channel's), also records its start position there: the offset before the
   * next record this reader dispatches on that partition. Batches are dispatched synchronously
   * and `next` moves only at their end, so no record falls between that offset and the first
   * one the subscription is handed, however many subscriptions share the reader.
   */
  add(subscription: LocalSubscription, partition?: number): void {
    if (partition !== undefined) {
      if (this.unplaced === undefined) this.place(subscription, partition);
      else this.unplaced.push({ subscription, partition });
    }
    let set = this.subscribers.get(subscription.channel);
    if (set === undefined) {
      set = new Set();
      this.subscribers.set(subscription.channel, set);
    }
    set.add(subscription);
  }

  remove(subscription: LocalSubscription): void {
    const set = this.subscribers.get(subscription.channel);
    set?.delete(subscription);
    if (set?.size === 0) this.subscribers.delete(subscription.channel);
  }

  private place(subscription: LocalSubscription, partition: number): void {
    // A partition unknown at start is read from its beginning (see seek). Next offset 0 (an empty
    // partition) gives BEFORE_FIRST.
    const next = this.next.get(partition);
    subscription.startAfter(formatPosition(this.topic, partition, next === undefined ? BEFORE_FIRST : next - 1n));
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  private seek(partitions: readonly number[], consumer: Consumer): void {
    for (const partition of partitions) {
      const offset = this.next.get(partition);
      // A partition unknown at start (added to the topic later) begins at its start.
      if (offset !== undefined) consumer.seek({ topic: this.topic, partition, offset: offset.toString() });
    }
  }

  /** Hands a fetched batch to the subscribers, synchronously: their queues take it from there. */
  private dispatchBatch({ batch, resolveOffset, isRunning, isStale }: EachBatchPayload): void {
    // Fetched before a re-join seeked elsewhere: not ours to deliver.
    if (isStale()) return;
    let last: string | undefined;
    for (const record of batch.messages) {
      // A handler may stop the consumer (close) while the batch is handed out.
      if (!isRunning()) break;
      // A throw out of here would make kafkajs restart the consumer and fetch the batch again
      // from `next`, handing out the records before this one twice: each record settles alone.
      try {
        this.dispatch(batch.partition, record);
      } catch (error) {
        this.reportFailure(batch.partition, record, error);
      }
      last = record.offset;
    }
    if (last === undefined) return;
    this.next.set(batch.partition, BigInt(last) + 1n);
    resolveOffset(last);
  }

  private dispatch(partition: number, record: KafkaMessage): void {
    const key = record.key?.toString('utf8');
    const targets = key === undefined ? undefined : this.subscribers.get(key);
    if (targets === undefined || key === undefined) {
      // Nobody here reads that channel: not decoded at all, only a key that is no channel of this topic is reported.
      const error = this.decoder.keyError(this.topic, partition, record, key);
      if (error !== undefined) this.report(error, undefined);
      return;
    }
    const decoded = this.decoder.decodeAs(this.topic, partition, record, key);
    if (decoded.ok) {
      for (const subscription of targets) subscription.offer(decoded.message);
      return;
    }
    this.report(decoded.error, key);
  }

  /** Dispatch threw (the error path included): reported like a bad record, at most once. */
  private reportFailure(partition: number, record: KafkaMessage, error: unknown): void {
    const key = record.key?.toString('utf8');
    const mapped = mapDispatchError(error, `handing record ${this.topic}/${partition}@${record.offset} to its subscribers`);
    try {
      this.report(mapped, key !== undefined && this.subscribers.has(key) ? key : undefined);
    } catch {
      // The error path itself threw (a logger that fails): nothing is left to tell, and the
      // batch must still go on.
    }
  }

  /** A bad record goes to its channel's subscribers, or to all of them if it has no channel. */
  private report(error: BusError, channel: string | undefined): void {
    const targets = channel === undefined ? [...this.subscribers.values()].flatMap((set) => [...set]) : [...(this.subscribers.get(channel) ?? [])];
    for (const subscription of targets) subscription.reportError(error);
  }
}
