import {
  BusError,
  withTimeout,
  type BusLogger,
  type PublishReceipt,
} from '@app/core';
import type { Kafka, Message as KafkaRecord, Producer, RecordMetadata } from 'kafkajs';
import { mapKafkaError } from './map-error.js';
import { PartitionQueue, type PendingPublish } from './partition-queue.js';
import { PublishDeadlines } from './publish-deadlines.js';
import { producerRetry } from './publish-retry.js';
import { formatPosition } from './position.js';
import type { StatusTracker } from './status-tracker.js';

const noop = (): void => {};
const MAX_BATCH_RECORDS = 1000;
/** Lane of partitions whose leader is not known (yet). */
const UNKNOWN_LEADER = -1;
const SOURCE = 'producer';

export interface PublisherSettings {
  readonly publishTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly maxPendingBytes: number;
  /** How long a publish may wait for others to join its produce request. */
  readonly lingerMs: number;
  /** A produce request stays below this many bytes (one larger message goes alone). */
  readonly batchMaxBytes: number;
}

/** Where partitions are led, to send one request per broker; a stale answer only costs batching. */
export interface PartitionLeaders {
  leaderOf(topic: string, partition: number): number | undefined;
  refreshLayout(topic: string): void;
}

interface Batch {
  readonly items: PendingPublish[];
  readonly queues: PartitionQueue[];
}

/**
 * Sends publishes through one idempotent producer. Publishes queue per partition; each broker
 * gets one produce request at a time, with whatever queued up for the partitions it leads
 * (after at most `lingerMs`), and brokers do not wait for each other. A partition is in at most
 * one request at a time and kafkajs sends with `maxInFlightRequests: 1`, so each channel's
 * records keep the order of the `publish` calls.
 */
export class Publisher {
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;
  private readonly queues = new Map<string, PartitionQueue>();
  private readonly busyLanes = new Set<number>();
  private readonly inFlight = new Set<Batch>();
  private pendingBytes = 0;
  private outstanding = 0;
  private wakeTimer: NodeJS.Timeout | undefined;
  private readonly deadlines: PublishDeadlines;
  /** A batch failed: no new batch starts until the ones in flight settled and the producer is replaced. */
  private needsReset = false;
  private resetting: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  /** Why the producer's last attempt failed, until a request succeeds again: named by timeouts. */
  private lastFailure: string | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: PublisherSettings,
    private readonly leaders: PartitionLeaders,
    private readonly status: StatusTracker,
    private readonly logger: BusLogger,
  ) {
    this.deadlines = new PublishDeadlines(settings.publishTimeoutMs, {
      waiting: () => this.queues.values(),
      sending: () => [...this.inFlight].map((batch) => batch.items),
      timedOut: (pending, error) => this.settle(pending, error),
      dropped: (bytes) => {
        this.pendingBytes -= bytes;
      },
      expired: () => this.notifyIfIdle(),
      cause: () => this.lastFailure,
    });
  }

  /** kafkajs is retrying a produce request after `message` (a dead leader, too few in-sync replicas...). */
  noteRetry(message: string): void {
    this.lastFailure = message;
  }

  /** Connects the producer now, so that a bad configuration shows at start-up. */
  async start(): Promise<void> {
    await this.connectedProducer();
  }

  /** Queues `record` (its `partition` set) and resolves once all in-sync replicas have it. */
  publish(topic: string, channel: string, id: string, record: KafkaRecord & { partition: number }, size: number): Promise<PublishReceipt> {
    if (this.pendingBytes + size > this.settings.maxPendingBytes && this.pendingBytes > 0) {
      return Promise.reject(
        new BusError('overloaded', `publish to "${channel}" refused: ${this.pendingBytes} bytes are already waiting for Kafka; try again later`),
      );
    }
    return new Promise<PublishReceipt>((resolve, reject) => {
      const now = Date.now();
      const { partition } = record;
      const pending: PendingPublish = { topic, partition, record, size, id, channel, queuedAt: now, deadline: now + this.settings.publishTimeoutMs, settled: false, resolve, reject };
      const key = `${topic}/${partition}`;
      let queue = this.queues.get(key);
      if (queue === undefined) {
        queue = new PartitionQueue(topic, partition);
        this.queues.set(key, queue);
      }
      queue.push(pending);
      this.pendingBytes += size;
      this.outstanding += 1;
      this.deadlines.ensure();
      this.wakeTimer ??= setTimeout(() => this.pump(), this.settings.lingerMs);
    });
  }

  /** Resolves when every publish started so far has settled and no request is on its way. */
  async flush(): Promise<void> {
    while (!this.idle()) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  async close(timeoutMs: number): Promise<void> {
    await this.flush();
    clearTimeout(this.wakeTimer);
    this.deadlines.stop();
    await this.dropProducer(timeoutMs);
  }

  private idle(): boolean {
    return this.outstanding === 0 && this.inFlight.size === 0 && this.resetting === undefined;
  }

  private notifyIfIdle(): void {
    if (this.idle()) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private settle(pending: PendingPublish, outcome: PublishReceipt | BusError): void {
    if (pending.settled) return;
    pending.settled = true;
    this.outstanding -= 1;
    if (outcome instanceof BusError) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  /** Starts a batch on every idle broker that has a partition ready; wakes up again when the next one is. */
  private pump(): void {
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    if (this.needsReset || this.resetting !== undefined) return;
    const now = Date.now();
    const lanes = new Map<number, PartitionQueue[]>();
    for (const queue of this.queues.values()) {
      this.pendingBytes -= queue.dropSettled();
      if (queue.size === 0 || queue.inFlight) continue;
      const lane = this.leaders.leaderOf(queue.topic, queue.partition) ?? UNKNOWN_LEADER;
      if (this.busyLanes.has(lane)) continue;
      const list = lanes.get(lane);
      if (list === undefined) lanes.set(lane, [queue]);
      else list.push(queue);
    }
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const [lane, queues] of lanes) {
      // Java's rule: a broker's request goes once any of its partitions is full or lingered enough.
      const readyAt = Math.min(...queues.map((queue) => (queue.bytes >= this.settings.batchMaxBytes ? now : (queue.first as PendingPublish).queuedAt + this.settings.lingerMs)));
      if (readyAt > now) wakeAt = Math.min(wakeAt, readyAt);
      else this.startBatch(lane, queues);
    }
    if (wakeAt !== Number.POSITIVE_INFINITY) this.wakeTimer = setTimeout(() => this.pump(), wakeAt - now);
  }

  private startBatch(lane: number, queues: PartitionQueue[]): void {
    const batch: Batch = { items: [], queues: [] };
    let bytes = 0;
    for (const queue of queues) {
      if (batch.items.length >= MAX_BATCH_RECORDS || bytes >= this.settings.batchMaxBytes) break;
      const before = batch.items.length;
      const taken = queue.takeInto(batch.items, bytes, this.settings.batchMaxBytes, MAX_BATCH_RECORDS);
      this.pendingBytes -= taken;
      for (let index = before; index < batch.items.length; index += 1) bytes += (batch.items[index] as PendingPublish).size;
      if (batch.items.length > before) {
        queue.inFlight = true;
        batch.queues.push(queue);
      }
    }
    if (batch.items.length === 0) return;
    this.busyLanes.add(lane);
    this.inFlight.add(batch);
    this.send(batch).finally(() => {
      this.busyLanes.delete(lane);
      this.inFlight.delete(batch);
      for (const queue of batch.queues) queue.inFlight = false;
      if (this.needsReset && this.inFlight.size === 0) this.reset();
      else this.pump();
      this.notifyIfIdle();
    });
  }

  private async send(batch: Batch): Promise<void> {
    const topics = [...new Set(batch.items.map((pending) => pending.topic))];
    const doing = `publish to topic${topics.length > 1 ? 's' : ''} ${topics.map((topic) => `"${topic}"`).join(', ')}`;
    let metadata: RecordMetadata[];
    let sending: Promise<RecordMetadata[]> | undefined;
    try {
      const producer = await this.connectedProducer();
      const topicMessages = topics.map((topic) => ({
        topic,
        messages: batch.items.filter((pending) => pending.topic === topic).map((pending) => pending.record),
      }));
      sending = producer.sendBatch({ topicMessages, acks: -1, timeout: this.settings.publishTimeoutMs });
      metadata = await withTimeout(sending, this.settings.publishTimeoutMs, `Kafka to acknowledge a ${doing}`);
    } catch (error) {
      const mapped = mapKafkaError(error, doing);
      this.lastFailure = mapped.message;
      if (mapped.isRetryable) this.status.markDown(SOURCE, mapped.message);
      this.logger.warn({ err: mapped, messages: batch.items.length }, 'kafka publish failed');
      for (const pending of batch.items) this.settle(pending, mapped);
      // The idempotent producer's sequence numbers are unknown after a failure: once every batch
      // in flight settled, it is replaced. Leaders may have moved, too.
      this.needsReset = true;
      for (const topic of topics) this.leaders.refreshLayout(topic);
      // After our timeout kafkajs may still be retrying this batch; nothing more goes out before it
      // gave up or landed (bounded), so a late write cannot overtake later publishes.
      if (sending !== undefined) await withTimeout(sending.then(noop, noop), this.settings.connectTimeoutMs, 'a timed-out batch to settle').catch(noop);
      return;
    }
    this.lastFailure = undefined;
    this.status.markUp(SOURCE);
    this.resolveBatch(batch.items, metadata);
  }

  private reset(): void {
    this.resetting = this.dropProducer(this.settings.connectTimeoutMs).finally(() => {
      this.needsReset = false;
      this.resetting = undefined;
      this.pump();
      this.notifyIfIdle();
    });
  }

  /** Gives each publish its position: base offset of its partition plus its index there. */
  private resolveBatch(batch: readonly PendingPublish[], metadata: readonly RecordMetadata[]): void {
    const next = new Map<string, bigint>();
    for (const entry of metadata) {
      if (entry.baseOffset !== undefined) next.set(`${entry.topicName}/${entry.partition}`, BigInt(entry.baseOffset));
    }
    for (const pending of batch) {
      const key = `${pending.topic}/${pending.partition}`;
      const offset = next.get(key);
      if (offset === undefined) {
        this.settle(pending, { id: pending.id });
        continue;
      }
      next.set(key, offset + 1n);
      this.settle(pending, { id: pending.id, position: formatPosition(pending.topic, pending.partition, offset) });
    }
  }

  private connectedProducer(): Promise<Producer> {
    if (this.producer !== undefined) return Promise.resolve(this.producer);
    // Brokers' batches may ask at the same time; they must share one producer.
    this.connecting ??= this.connectProducer().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connectProducer(): Promise<Producer> {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Resends a failed request (same sequence numbers) for about publishTimeoutMs: see publish-retry.ts.
      retry: producerRetry(this.settings.publishTimeoutMs),
      // Every record carries its partition (the bus picks it with the same murmur2 hash).
      createPartitioner: () => ({ message }) => message.partition as number,
    });
    try {
      await withTimeout(producer.connect(), this.settings.connectTimeoutMs, 'the Kafka producer to connect');
    } catch (error) {
      producer.disconnect().catch(() => {});
      throw error;
    }
    this.producer = producer;
    return producer;
  }

  private async dropProducer(timeoutMs: number): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    if (producer === undefined) return;
    try {
      await withTimeout(producer.disconnect(), timeoutMs, 'the Kafka producer to disconnect');
    } catch (error) {
      this.logger.warn({ err: error }, 'kafka producer did not disconnect cleanly');
    }
  }
}
