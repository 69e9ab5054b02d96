import {
  BusError,
  describeError,
  withTimeout,
  type BusLogger,
} from '@app/core';
import type { Consumer, ConsumerRunConfig, EachBatchPayload, EachMessagePayload, Kafka } from 'kafkajs';
import { mapKafkaError } from './map-error.js';
import type { StatusTracker } from './status-tracker.js';

/** Pause before the driver restarts a consumer that kafkajs gave up on. */
const RESTART_DELAY_MS = 1000;

export interface ConsumerSettings {
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly fetchMaxWaitMs: number;
  readonly connectTimeoutMs: number;
  readonly subscribeTimeoutMs: number;
  readonly closeTimeoutMs: number;
}

export interface ConsumerHooks {
  /**
   * Called on every group join (the first one and each one after a rebalance or restart),
   * synchronously before kafkajs fetches, with this member's partitions of the topic: the place
   * to `seek`. The first `start()` resolves once the returned promise does.
   */
  onJoin(partitions: readonly number[], consumer: Consumer): Promise<void> | void;
  /** One record at a time, awaited (group readers, which retry and commit per record). */
  eachMessage?: (payload: EachMessagePayload) => Promise<void>;
  /**
   * A fetched batch at a time (broadcast and replay readers, which hand records on without
   * waiting): one call and one heartbeat check per batch instead of per record. The hook
   * resolves the offsets it dealt with itself.
   */
  eachBatch?: (payload: EachBatchPayload) => Promise<void>;
}

/**
 * A kafkajs consumer for one topic and group, with what kafkajs leaves to its user: a start
 * that resolves only once the member joined (with a timeout naming the group), status
 * reporting, a restart when kafkajs gives up after a crash, and a bounded stop.
 */
export class ManagedConsumer {
  private readonly consumer: Consumer;
  private readonly source: string;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private lastError: unknown;
  private joined = false;
  private settleReady: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  private fetchWaiters: (() => void)[] = [];
  private ran = false;
  /** A kafkajs runner is starting (connect, join): its own stop is a no-op until it fetches. */
  private runnerStarting = false;
  private runnerSettled: (() => void)[] = [];

  constructor(
    kafka: Kafka,
    readonly groupId: string,
    readonly topic: string,
    private readonly settings: ConsumerSettings,
    private readonly hooks: ConsumerHooks,
    private readonly status: StatusTracker,
    private readonly logger: BusLogger,
    private readonly onStopped: (groupId: string) => Promise<void>,
  ) {
    this.source = `consumer:${groupId}`;
    this.consumer = kafka.consumer({
      groupId,
      sessionTimeout: settings.sessionTimeoutMs,
      rebalanceTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      maxWaitTimeInMs: settings.fetchMaxWaitMs,
      allowAutoTopicCreation: false,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000, restartOnFailure: async () => !this.stopping },
    });
    this.listen();
  }

  /** Connects, joins and runs; resolves once live. On failure the consumer is stopped again. */
  async start(): Promise<void> {
    if (this.stopping) throw new BusError('closed', `consumer group "${this.groupId}" was stopped before it started`);
    const ready = new Promise<void>((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });
    // stop() may reject it while connect is still awaited; the rejection is handled below.
    ready.catch(() => {});
    try {
      await withTimeout(this.consumer.connect(), this.settings.connectTimeoutMs, `consumer group "${this.groupId}" to connect`);
      await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
      // A stop during connect must not be followed by a run: that consumer would never stop.
      if (this.stopping) throw new BusError('closed', `consumer group "${this.groupId}" was stopped before it became live`);
      this.run();
      await withTimeout(ready, this.settings.subscribeTimeoutMs, `consumer group "${this.groupId}" to join and take its partitions of topic "${this.topic}"`).catch(
        (error: unknown) => {
          if (error instanceof BusError && error.reason === 'timeout' && this.lastError !== undefined) {
            throw new BusError('timeout', `${error.message}; last error: ${describeError(this.lastError)}`, { cause: this.lastError });
          }
          throw error;
        },
      );
    } catch (error) {
      const stoppedMeanwhile = this.stopping;
      await this.stop();
      // That stop's disconnect may have run before connect finished: close what connect opened.
      if (stoppedMeanwhile) await this.disconnect();
      throw mapKafkaError(error, `subscribing to topic "${this.topic}" (consumer group "${this.groupId}")`);
    } finally {
      this.settleReady = undefined;
    }
  }

  /** Resolves when kafkajs starts its next fetch, i.e. its runner is running (or on stop). */
  nextFetch(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => this.fetchWaiters.push(resolve));
  }

  /** Commits offsets of this consumer's group (the next offset to read, per partition). */
  commit(offsets: { topic: string; partition: number; offset: string }[]): Promise<void> {
    return this.consumer.commitOffsets(offsets);
  }

  /** Leaves the group and disconnects; bounded by `closeTimeoutMs`. Safe to call twice. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    for (const wake of this.fetchWaiters.splice(0)) wake();
    this.settleReady?.reject(new BusError('closed', `consumer group "${this.groupId}" was stopped before it became live`));
    // kafkajs ignores a stop while its runner joins, and then runs on unstopped: let the join
    // finish (or fail) first. Bounded, like the rest of the stop.
    if (this.runnerStarting) {
      const settled = new Promise<void>((resolve) => this.runnerSettled.push(resolve));
      await withTimeout(settled, this.settings.closeTimeoutMs, `consumer group "${this.groupId}" to finish joining before it leaves`).catch(
        (error: unknown) => this.logger.warn({ groupId: this.groupId, err: error }, 'stopping a kafka consumer that is still joining'),
      );
    }
    await this.disconnect();
    this.status.forget(this.source);
    await this.onStopped(this.groupId);
  }

  private async disconnect(): Promise<void> {
    try {
      await withTimeout(this.consumer.disconnect(), this.settings.closeTimeoutMs, `consumer group "${this.groupId}" to leave and disconnect`);
    } catch (error) {
      this.logger.warn({ groupId: this.groupId, err: error }, 'kafka consumer did not stop cleanly');
    }
  }

  private run(): void {
    this.ran = true;
    this.runnerStarting = true;
    const { eachBatch, eachMessage } = this.hooks;
    const config: ConsumerRunConfig = { autoCommit: false, partitionsConsumedConcurrently: 1 };
    if (eachBatch !== undefined) Object.assign(config, { eachBatch, eachBatchAutoResolve: false });
    else Object.assign(config, { eachMessage });
    this.consumer
      .run(config)
      .catch((error: unknown) => this.crashed(error, false));
  }

  private listen(): void {
    const { events } = this.consumer;
    this.consumer.on(events.GROUP_JOIN, (event) => {
      this.status.markUp(this.source);
      const partitions = event.payload.memberAssignment[this.topic] ?? [];
      let joinedWork: Promise<void> | void;
      try {
        joinedWork = this.hooks.onJoin(partitions, this.consumer);
      } catch (error) {
        joinedWork = Promise.reject(error);
      }
      const first = !this.joined;
      this.joined = true;
      const settle = this.settleReady;
      if (first && settle !== undefined) Promise.resolve(joinedWork).then(settle.resolve, settle.reject);
      else Promise.resolve(joinedWork).catch((error: unknown) => this.logger.warn({ groupId: this.groupId, err: error }, 'kafka consumer join hook failed'));
    });
    this.consumer.on(events.FETCH, () => this.status.markUp(this.source));
    this.consumer.on(events.FETCH_START, () => {
      this.runnerSettle();
      for (const wake of this.fetchWaiters.splice(0)) wake();
    });
    // After run(), every connect is a runner (re)starting: kafkajs's own restarts included.
    this.consumer.on(events.CONNECT, () => {
      if (this.ran) this.runnerStarting = true;
    });
    this.consumer.on(events.CRASH, (event) => this.crashed(event.payload.error, event.payload.restart));
  }

  private runnerSettle(): void {
    this.runnerStarting = false;
    for (const wake of this.runnerSettled.splice(0)) wake();
  }

  private crashed(error: unknown, kafkaRestarts: boolean): void {
    this.runnerSettle();
    this.lastError = error;
    if (this.stopping) return;
    const mapped = mapKafkaError(error, `consuming topic "${this.topic}" (consumer group "${this.groupId}")`);
    this.status.markDown(this.source, mapped.message);
    this.logger.warn({ groupId: this.groupId, err: mapped, restart: true }, 'kafka consumer crashed');
    if (!this.joined && !mapped.isRetryable) {
      this.settleReady?.reject(mapped);
      return;
    }
    if (kafkaRestarts) return;
    // kafkajs does not restart after a non-retriable error; the bus does, as long as it is open.
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.consumer
        .connect()
        .then(async () => {
          // Stopped while reconnecting: running now would leave a consumer nobody stops.
          if (this.stopping) await this.disconnect();
          else this.run();
        })
        .catch((restartError: unknown) => this.crashed(restartError, false));
    }, RESTART_DELAY_MS);
  }
}
