import type { BusError, PublishReceipt } from '@app/core';
import type { Message as KafkaRecord } from 'kafkajs';

/** One publish waiting for Kafka. */
export interface PendingPublish {
  readonly topic: string;
  readonly partition: number;
  readonly record: KafkaRecord;
  readonly size: number;
  readonly id: string;
  readonly channel: string;
  /** When it was queued and when it times out (`Date.now()` ms). */
  readonly queuedAt: number;
  readonly deadline: number;
  settled: boolean;
  resolve(receipt: PublishReceipt): void;
  reject(error: BusError): void;
}

/**
 * The publishes of one topic partition not yet sent, in call order. At most one batch of a
 * partition is on its way at a time (`inFlight`): that, and taking from the front only, is what
 * keeps a channel's records in publish order.
 */
export class PartitionQueue {
  private items: PendingPublish[] = [];
  private head = 0;
  /** Bytes of the publishes waiting here. */
  bytes = 0;
  inFlight = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  get first(): PendingPublish | undefined {
    return this.items[this.head];
  }

  push(pending: PendingPublish): void {
    this.items.push(pending);
    this.bytes += pending.size;
  }

  /**
   * Moves publishes from the front into `batch` while it stays within `maxBytes` and
   * `maxRecords` (a first publish larger than `maxBytes` goes alone). Publishes that already
   * settled (timed out) are dropped, never sent late. Returns the bytes taken off the queue.
   */
  takeInto(batch: PendingPublish[], batchBytes: number, maxBytes: number, maxRecords: number): number {
    let taken = 0;
    let bytes = batchBytes;
    while (this.head < this.items.length && batch.length < maxRecords) {
      const next = this.items[this.head] as PendingPublish;
      if (!next.settled) {
        if (batch.length > 0 && bytes + next.size > maxBytes) break;
        batch.push(next);
        bytes += next.size;
      }
      taken += next.size;
      this.shift();
    }
    this.bytes -= taken;
    return taken;
  }

  /** Drops settled publishes from the front; returns the bytes dropped. */
  dropSettled(): number {
    let dropped = 0;
    while (this.head < this.items.length && (this.items[this.head] as PendingPublish).settled) {
      dropped += (this.items[this.head] as PendingPublish).size;
      this.shift();
    }
    this.bytes -= dropped;
    return dropped;
  }

  private shift(): void {
    this.items[this.head] = undefined as unknown as PendingPublish;
    this.head += 1;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
