import {
  BusError,
  deadLetterHeaders,
  delay,
  type BusLogger,
  type Message,
  type PublishOptions,
  type PublishReceipt,
} from '@app/core';
import type { Consumer, EachMessagePayload, KafkaMessage } from 'kafkajs';
import type { LocalSubscription } from './local-subscription.js';
import type { ManagedConsumer } from './managed-consumer.js';
import type { DecodedRecord } from './record-codec.js';
import type { ConsumerFactory } from './topic-reader.js';

/** Records of other channels are committed past at most this often, in ms. */
const SKIP_COMMIT_INTERVAL_MS = 1000;
const MAX_REDELIVERY_DELAY_MS = 5000;

export interface GroupReaderDeps {
  readonly decode: (topic: string, partition: number, record: KafkaMessage) => DecodedRecord;
  readonly createConsumer: ConsumerFactory;
  /** Where a group's committed offsets are missing, the high watermark to start from. */
  readonly startOffsets: () => Promise<ReadonlyMap<number, bigint>>;
  /** The group's committed offsets now, per partition (partitions without one left out). */
  readonly committedOffsets: () => Promise<ReadonlyMap<number, bigint>>;
  readonly publish: (channel: string, data: unknown, options: PublishOptions) => Promise<PublishReceipt>;
  readonly redeliveryDelayMs: number;
  readonly logger: BusLogger;
}

/**
 * The members in this process of one group on one channel, behind one kafkajs consumer in the
 * Kafka consumer group of that (channel, group). The consumer takes one record at a time:
 * a record of the channel goes to a member (round robin), is retried in process with attempt
 * + 1 after a failure, dead-lettered after `maxAttempts`, and only then committed. Records of
 * other channels on the same topic belong to no member of this group and are committed past.
 */
export class GroupReader {
  private readonly members: LocalSubscription[] = [];
  private turn = 0;
  private readonly consumer: ManagedConsumer;
  private started: Promise<void> | undefined;
  private stopping = false;
  /** Aborted by `stop()`: a redelivery or dead-letter pause ends at once, so stopping never waits one out. */
  private readonly stopped = new AbortController();
  /** Partitions that had no committed offset at start, and where to begin them. */
  private missing = new Map<number, bigint>();
  private lastCommit = 0;
  /** Set once a record could not be handed to a member: nothing may be committed past it. */
  private blocked = false;
  /** Settles once the latest join has placed its partitions; records wait for it. */
  private placed: Promise<void> = Promise.resolve();
  /** Where the latest join seeked: records below were fetched before the seek and are stale. */
  private floor = new Map<number, bigint>();
  /** The highest offset this member committed per partition, so a start commit never goes back. */
  private readonly committed = new Map<number, bigint>();

  constructor(
    readonly channel: string,
    readonly topic: string,
    readonly groupId: string,
    private readonly deps: GroupReaderDeps,
  ) {
    this.consumer = deps.createConsumer(groupId, topic, {
      onJoin: (partitions, consumer) => this.onJoin(partitions, consumer),
      eachMessage: (payload) => this.handle(payload),
    });
  }

  get size(): number {
    return this.members.length;
  }

  start(): Promise<void> {
    this.started ??= (async () => {
      this.missing = new Map(await this.deps.startOffsets());
      await this.consumer.start();
    })();
    return this.started;
  }

  add(member: LocalSubscription): void {
    this.members.push(member);
  }

  remove(member: LocalSubscription): void {
    const index = this.members.indexOf(member);
    if (index !== -1) this.members.splice(index, 1);
  }

  stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    return this.consumer.stop();
  }

  /**
   * A partition without a committed offset when this reader started begins where the group
   * began (the end, as fetched then) and that start is committed at once. Whether it still has
   * no commit is asked again on every join: another member may have taken it and committed
   * since, and seeking back to the old start would deliver its work again.
   */
  private onJoin(partitions: readonly number[], consumer: Consumer): Promise<void> {
    const candidates = partitions.filter((partition) => this.missing.has(partition));
    this.floor = new Map();
    if (candidates.length === 0) {
      this.placed = Promise.resolve();
      return this.placed;
    }
    // Held back until placed: kafkajs would otherwise fetch them from its own idea of the start
    // and, once the seek lands, fetch the same records again.
    const held = [{ topic: this.topic, partitions: [...candidates] }];
    consumer.pause(held);
    const placing = this.place(candidates, consumer).finally(() => {
      try {
        consumer.resume(held);
      } catch {
        // Stopped meanwhile: nothing left to resume.
      }
    });
    this.placed = placing.then(
      () => undefined,
      () => undefined,
    );
    return placing.then((commits) => this.commitStart(commits, consumer));
  }

  /** Seeks `partitions` that still have no committed offset to where the group began. */
  private async place(partitions: readonly number[], consumer: Consumer): Promise<{ partition: number; offset: bigint }[]> {
    let committed: ReadonlyMap<number, bigint>;
    try {
      committed = await this.deps.committedOffsets();
    } catch (error) {
      this.deps.logger.warn({ groupId: this.groupId, err: error }, 'could not fetch committed offsets on join; starting from where the group began');
      committed = new Map();
    }
    const commits: { partition: number; offset: bigint }[] = [];
    for (const partition of partitions) {
      const start = this.missing.get(partition);
      if (start === undefined) continue;
      const done = committed.get(partition);
      if (done !== undefined) {
        // kafkajs goes on from the commit by itself.
        this.missing.delete(partition);
        this.floor.set(partition, done);
        continue;
      }
      commits.push({ partition, offset: start });
      this.floor.set(partition, start);
      consumer.seek({ topic: this.topic, partition, offset: start.toString() });
    }
    return commits;
  }

  private async commitStart(commits: readonly { partition: number; offset: bigint }[], consumer: Consumer): Promise<void> {
    if (commits.length === 0) return;
    // kafkajs ignores commits until its runner is running, which it is by the first fetch.
    await this.consumer.nextFetch();
    // A record handled meanwhile committed further already; committing the start would go back.
    const needed = commits.filter(({ partition, offset }) => (this.committed.get(partition) ?? -1n) < offset);
    if (needed.length === 0) return;
    await consumer.commitOffsets(needed.map(({ partition, offset }) => ({ topic: this.topic, partition, offset: offset.toString() })));
    // Only now is the start on record: until then a later join has to place it again.
    for (const { partition } of needed) this.missing.delete(partition);
  }

  private async handle({ partition, message: record, heartbeat }: EachMessagePayload): Promise<void> {
    await this.placed;
    // Fetched before the join's seek took effect: kafkajs refetches from the seek.
    if (BigInt(record.offset) < (this.floor.get(partition) ?? -1n)) return;
    const decoded = this.deps.decode(this.topic, partition, record);
    const next = { topic: this.topic, partition, offset: (BigInt(record.offset) + 1n).toString() };
    if (!decoded.ok) {
      if (decoded.channel === undefined || decoded.channel === this.channel) {
        for (const member of this.members) member.reportError(decoded.error);
      }
      await this.commit(next, false);
      return;
    }
    if (decoded.message.channel !== this.channel) {
      await this.commit(next, false);
      return;
    }
    if (await this.process(decoded.message, heartbeat)) await this.commit(next, true);
    else this.blocked = true;
  }

  /** True once the message is done with (handled or dead-lettered); false when stopping. */
  private async process(first: Message, heartbeat: () => Promise<void>): Promise<boolean> {
    let message = first;
    for (;;) {
      const member = this.pick();
      if (member === undefined || this.stopping) return false;
      const error = await member.invoke(message);
      if (error === undefined) return true;
      // Ended meanwhile (unsubscribe, close): not handled, so not committed; another member gets it.
      if (!member.active) continue;
      const failure = error instanceof Error ? error : new Error(String(error));
      member.reportError(failure, message);
      if (message.attempt >= member.options.maxAttempts) {
        return this.deadLetter(message, failure, member.options.deadLetterChannel);
      }
      await delay(Math.min(this.deps.redeliveryDelayMs * 2 ** (message.attempt - 1), MAX_REDELIVERY_DELAY_MS), this.stopped.signal);
      if (this.stopping) return false;
      await heartbeat().catch(() => {});
      message = { ...message, attempt: message.attempt + 1 };
    }
  }

  private async deadLetter(message: Message, error: Error, deadLetterChannel: string): Promise<boolean> {
    for (let attempt = 0; !this.stopping; attempt += 1) {
      try {
        await this.deps.publish(deadLetterChannel, message.data, { id: message.id, headers: deadLetterHeaders(message, error) });
        return true;
      } catch (publishError) {
        this.deps.logger.error({ channel: this.channel, deadLetterChannel, messageId: message.id, err: publishError }, 'dead-letter publish failed; retrying');
        if (publishError instanceof BusError && !publishError.isRetryable) {
          // Retrying cannot help (e.g. the dead letter is too large); the error above is the record of it.
          return true;
        }
        await delay(Math.min(250 * 2 ** attempt, MAX_REDELIVERY_DELAY_MS), this.stopped.signal);
      }
    }
    return false;
  }

  private pick(): LocalSubscription | undefined {
    for (let tried = 0; tried < this.members.length; tried += 1) {
      const member = this.members[this.turn % this.members.length] as LocalSubscription;
      this.turn = (this.turn + 1) % this.members.length;
      if (member.active) return member;
    }
    return undefined;
  }

  private async commit(offset: { topic: string; partition: number; offset: string }, now: boolean): Promise<void> {
    if (this.blocked || (!now && Date.now() - this.lastCommit < SKIP_COMMIT_INTERVAL_MS)) return;
    // Noted before sending, so a start commit sent after this one cannot overtake it backwards.
    const value = BigInt(offset.offset);
    if (value > (this.committed.get(offset.partition) ?? -1n)) this.committed.set(offset.partition, value);
    try {
      await this.consumerCommit(offset);
      this.lastCommit = Date.now();
      this.missing.delete(offset.partition);
    } catch (error) {
      // A failed commit (e.g. during a rebalance) means redelivery later, never loss.
      this.deps.logger.warn({ groupId: this.groupId, err: error }, 'kafka offset commit failed');
    }
  }

  private consumerCommit(offset: { topic: string; partition: number; offset: string }): Promise<void> {
    return this.consumer.commit([offset]);
  }
}
