import {
  BusError,
  withTimeout,
  type BusLogger,
  type PublishReceipt,
} from '@app/core';
import { Partitioners, type Kafka, type Message as KafkaRecord, type Producer, type RecordMetadata } from 'kafkajs';
import { mapKafkaError } from './map-error.js';
import { formatPosition } from './position.js';
import type { StatusTracker } from './status-tracker.js';


const noop = (): void => {};
/** A batch stays below this many bytes (one message may be larger and then goes alone). */
const MAX_BATCH_BYTES = 512 * 1024;
const MAX_BATCH_RECORDS = 1000;
const SOURCE = 'producer';

interface PendingPublish {
  readonly topic: string;
  readonly record: KafkaRecord;
  readonly size: number;
  readonly id: string;
  readonly channel: string;
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  resolve(receipt: PublishReceipt): void;
  reject(error: BusError): void;
}

export interface PublisherSettings {
  readonly publishTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly maxPendingBytes: number;
}

/**
 * Sends publishes through one idempotent producer, one batch at a time: whatever queued up
 * while the previous batch was on its way goes out together. With a single batch in flight
 * and `maxInFlightRequests: 1`, records keep the order of the `publish` calls.
 */
export class Publisher {
  private producer: Producer | undefined;
  private readonly queue: PendingPublish[] = [];
  private pendingBytes = 0;
  private running: Promise<void> | undefined;
  /** Which partition kafkajs's partitioner chose for each record, to compute offsets. */
  private readonly chosen = new WeakMap<KafkaRecord, number>();

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: PublisherSettings,
    private readonly status: StatusTracker,
    private readonly logger: BusLogger,
  ) {}

  /** Connects the producer now, so that a bad configuration shows at start-up. */
  async start(): Promise<void> {
    await this.connectedProducer();
  }

  publish(topic: string, channel: string, id: string, record: KafkaRecord, size: number): Promise<PublishReceipt> {
    if (this.pendingBytes + size > this.settings.maxPendingBytes && this.queue.length > 0) {
      return Promise.reject(
        new BusError('overloaded', `publish to "${channel}" refused: ${this.pendingBytes} bytes are already waiting for Kafka; try again later`),
      );
    }
    return new Promise<PublishReceipt>((resolve, reject) => {
      const pending: PendingPublish = { topic, record, size, id, channel, settled: false, timer: undefined, resolve, reject };
      pending.timer = setTimeout(() => {
        this.settle(pending, new BusError('timeout', `publish to "${channel}": no acknowledgement from Kafka within ${this.settings.publishTimeoutMs} ms (the message may still have been written)`));
      }, this.settings.publishTimeoutMs);
      this.queue.push(pending);
      this.pendingBytes += size;
      this.running ??= this.run();
    });
  }

  /** Resolves when every publish started so far has settled. */
  async flush(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  async close(timeoutMs: number): Promise<void> {
    await this.flush();
    await this.dropProducer(timeoutMs);
  }

  private settle(pending: PendingPublish, outcome: PublishReceipt | BusError): void {
    if (pending.settled) return;
    pending.settled = true;
    clearTimeout(pending.timer);
    if (outcome instanceof BusError) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  private takeBatch(): PendingPublish[] {
    const batch: PendingPublish[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && batch.length < MAX_BATCH_RECORDS) {
      const next = this.queue[0] as PendingPublish;
      if (batch.length > 0 && bytes + next.size > MAX_BATCH_BYTES) break;
      this.queue.shift();
      this.pendingBytes -= next.size;
      // A publish that already timed out is not sent late: its caller was told it failed.
      if (next.settled) continue;
      batch.push(next);
      bytes += next.size;
    }
    return batch;
  }

  private async run(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        if (batch.length > 0) await this.send(batch);
      }
    } finally {
      this.running = undefined;
    }
  }

  private async send(batch: PendingPublish[]): Promise<void> {
    const topics = [...new Set(batch.map((pending) => pending.topic))];
    const doing = `publish to topic${topics.length > 1 ? 's' : ''} ${topics.map((topic) => `"${topic}"`).join(', ')}`;
    let metadata: RecordMetadata[];
    let sending: Promise<RecordMetadata[]> | undefined;
    try {
      const producer = await this.connectedProducer();
      const topicMessages = topics.map((topic) => ({
        topic,
        messages: batch.filter((pending) => pending.topic === topic).map((pending) => pending.record),
      }));
      sending = producer.sendBatch({ topicMessages, acks: -1, timeout: this.settings.publishTimeoutMs });
      metadata = await withTimeout(sending, this.settings.publishTimeoutMs, `Kafka to acknowledge a ${doing}`);
    } catch (error) {
      const mapped = mapKafkaError(error, doing);
      if (mapped.isRetryable) this.status.markDown(SOURCE, mapped.message);
      this.logger.warn({ err: mapped, messages: batch.length }, 'kafka publish failed');
      for (const pending of batch) this.settle(pending, mapped);
      // After our timeout kafkajs may still be retrying this batch; the next batch goes out only once
      // it gave up or landed (bounded), so a late write cannot overtake later publishes.
      if (sending !== undefined) await withTimeout(sending.then(noop, noop), this.settings.connectTimeoutMs, 'a timed-out batch to settle').catch(noop);
      // The idempotent producer's sequence numbers are unknown after a failure: start afresh.
      await this.dropProducer(this.settings.connectTimeoutMs);
      return;
    }
    this.status.markUp(SOURCE);
    this.resolveBatch(batch, metadata);
  }

  /** Gives each publish its position: base offset of its partition plus its index there. */
  private resolveBatch(batch: readonly PendingPublish[], metadata: readonly RecordMetadata[]): void {
    const base = new Map<string, bigint>();
    for (const entry of metadata) {
      if (entry.baseOffset !== undefined) base.set(`${entry.topicName}/${entry.partition}`, BigInt(entry.baseOffset));
    }
    const seen = new Map<string, bigint>();
    for (const pending of batch) {
      const partition = this.chosen.get(pending.record);
      let position: string | undefined;
      if (partition !== undefined) {
        const key = `${pending.topic}/${partition}`;
        const first = base.get(key);
        const index = seen.get(key) ?? 0n;
        seen.set(key, index + 1n);
        if (first !== undefined) position = formatPosition(pending.topic, partition, first + index);
      }
      this.settle(pending, position === undefined ? { id: pending.id } : { id: pending.id, position });
    }
  }

  private async connectedProducer(): Promise<Producer> {
    if (this.producer !== undefined) return this.producer;
    const inner = Partitioners.DefaultPartitioner();
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
      createPartitioner: () => (args) => {
        const partition = inner(args);
        this.chosen.set(args.message, partition);
        return partition;
      },
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
