import { randomBytes } from 'node:crypto';
import {
  type BusFeature,
  type BusLimits,
  type BusStatus,
  type Message,
  type MessageBus,
  type MessageHandler,
  type PublishOptions,
  type PublishReceipt,
  type ReplayStart,
  type SubscribeOptions,
  type Subscription,
} from '@app/core';
import {
  BusLifecycle,
  deadLetterHeaders,
  preparePublish,
  resolveSubscribeOptions,
  type DriverSubscriptionSettings,
  type PreparedPublish,
  type ResolvedSubscribeOptions,
} from '@app/core/driver';
import type { Redis } from 'ioredis';
import { BroadcastSubscription, type BroadcastHost } from './broadcast-subscription.js';
import { Connections } from './connections.js';
import { GroupMember, type GroupHost } from './group-member.js';
import { streamKey } from './keys.js';
import { LiveChannels } from './live-channels.js';
import { isBusyGroupError, mapRedisError } from './map-error.js';
import type { ResolvedRedisBusOptions } from './options.js';
import { newestId, replayStart } from './replay-start.js';
import { PublishScript } from './publish-script.js';
import { parsePosition } from './stream-id.js';

const FEATURES: readonly BusFeature[] = ['crossInstance', 'orderedPerChannel', 'replay', 'groups'];

/** Dead letters may exceed the payload limit by the dead-letter headers, so a full-size message can still be parked. */
const DEAD_LETTER_ALLOWANCE_BYTES = 4096;

/**
 * A bus on Redis Streams: one stream per channel for history, pub/sub for live delivery (see
 * live-script.ts), one command and one pub/sub connection per instance.
 */
export class RedisBus implements MessageBus, GroupHost, BroadcastHost {
  readonly driver = 'redis';
  readonly features: ReadonlySet<BusFeature>;
  readonly limits: BusLimits;
  private readonly connections: Connections;
  readonly live: LiveChannels;
  readonly readBatchSize: number;
  private readonly publishScript: PublishScript;
  private readonly instanceId = randomBytes(4).toString('hex');
  private consumers = 0;
  private readonly lifecycle: BusLifecycle;

  constructor(readonly options: ResolvedRedisBusOptions) {
    this.limits = { maxPayloadBytes: options.maxPayloadBytes };
    // Durability is Redis's to give; the operator says whether it is configured (see RedisBusOptions.persistent).
    this.features = new Set(options.persistent ? [...FEATURES, 'persistent'] : FEATURES);
    this.readBatchSize = options.readBatchSize;
    this.lifecycle = new BusLifecycle('redis', options.closeTimeoutMs, options.logger);
    this.connections = new Connections(options, options.logger);
    this.live = new LiveChannels(this.connections.subscriber, options.logger);
    this.publishScript = new PublishScript(this.connections.command, options.streamMaxLen, options.streamTtlSeconds);
    if (options.persistent) this.command.once('ready', () => void this.checkPersistence());
  }

  get command(): Redis {
    return this.connections.command;
  }

  status(): BusStatus {
    return this.lifecycle.status(() => this.connections.status());
  }

  publish(channel: string, data: unknown, options?: PublishOptions): Promise<PublishReceipt> {
    try {
      this.lifecycle.assertOpen();
      const prepared = preparePublish(channel, data, options, this.limits);
      // close() waits for these; nothing is dropped by closing.
      return this.lifecycle.trackPublish(this.append(prepared));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  async subscribe<T = unknown>(channel: string, handler: MessageHandler<T>, options?: SubscribeOptions): Promise<Subscription> {
    this.lifecycle.assertOpen();
    const resolved = resolveSubscribeOptions(channel, handler, options, this.features);
    const from = resolved.from === undefined ? undefined : parsePosition(resolved.from);
    const doing = `subscribe to "${channel}"`;
    const key = streamKey(this.options.keyPrefix, channel);
    try {
      await this.connections.usable(doing);
      await this.connections.usable(doing, 'subscriber');
      if (resolved.mode === 'group') {
        // A new group starts at the stream's end; an existing one keeps its own position (`from` is refused in group mode).
        const group = resolved.group as string;
        await this.ensureGroup(key, group, '$');
        const member = new GroupMember(this.settings(channel, 'none', handler, resolved), key);
        await this.live.add(key, channel, member);
        if (this.lifecycle.closed) {
          this.live.remove(key, member);
          this.lifecycle.assertOpen();
        }
        this.consumers += 1;
        this.lifecycle.adopt(member);
        member.start(this, group, `${this.options.clientName}-${this.instanceId}-${this.consumers}`);
        return member;
      }
      const replay = from === undefined ? undefined : await replayStart(this.command, key, from);
      const subscription = new BroadcastSubscription(this.settings(channel, replay?.replay ?? 'none', handler, resolved), key);
      // Announcements are heard (and held) from here on; the start id read after this loses none.
      await this.live.add(key, channel, subscription);
      try {
        const afterId = replay?.afterId ?? (await newestId(this.command, key));
        this.lifecycle.assertOpen();
        this.lifecycle.adopt(subscription);
        subscription.begin(this, afterId, replay !== undefined);
        return subscription;
      } catch (error) {
        this.live.remove(key, subscription);
        throw error;
      }
    } catch (error) {
      throw mapRedisError(error, doing, { closed: this.lifecycle.closed });
    }
  }

  close(): Promise<void> {
    return this.lifecycle.close(async () => {
      await this.lifecycle.settlePublishes();
      this.live.stop();
      this.connections.retireSubscriber();
      await this.lifecycle.endSubscriptions();
      await this.connections.close(this.options.closeTimeoutMs);
    });
  }

  async ensureGroup(key: string, group: string, startId: string): Promise<boolean> {
    try {
      await this.command.call('XGROUP', ['CREATE', key, group, startId, 'MKSTREAM']);
      return true;
    } catch (error) {
      if (isBusyGroupError(error)) return false;
      throw error;
    }
  }

  stopListening(subscription: BroadcastSubscription): void {
    this.live.remove(subscription.key, subscription);
  }

  async deadLetter(channel: string, message: Message, error: unknown): Promise<void> {
    const limits = { maxPayloadBytes: this.limits.maxPayloadBytes + DEAD_LETTER_ALLOWANCE_BYTES };
    const prepared = preparePublish(channel, message.data, { id: message.id, headers: deadLetterHeaders(message, error) }, limits);
    await this.append(prepared);
  }

  private async append(prepared: PreparedPublish): Promise<PublishReceipt> {
    const doing = `publish to "${prepared.channel}"`;
    try {
      // Checked synchronously when ready, so publishes leave in the order they were called.
      if (this.command.status !== 'ready') await this.connections.usable(doing);
      const key = streamKey(this.options.keyPrefix, prepared.channel);
      const position = await this.publishScript.run(key, prepared);
      return { id: prepared.id, position };
    } catch (error) {
      throw mapRedisError(error, doing, { closed: this.lifecycle.closed && this.connections.status() === 'closed' });
    }
  }

  /** Warns when the bus declares `persistent` but Redis does not write an append-only file. */
  private async checkPersistence(): Promise<void> {
    try {
      const reply = await this.command.call('CONFIG', ['GET', 'appendonly']);
      if (Array.isArray(reply) && reply[1] === 'no') {
        this.options.logger.warn({}, 'persistent is on, but Redis runs with appendonly no: a Redis restart loses messages');
      }
    } catch (error) {
      // Managed Redis often forbids CONFIG; the operator's word stands.
      this.options.logger.debug({ err: error }, 'could not read the appendonly setting');
    }
  }

  /** What every subscription of this bus is made with. */
  private settings<T>(channel: string, replay: ReplayStart, handler: MessageHandler<T>, options: ResolvedSubscribeOptions): DriverSubscriptionSettings {
    const { maxPendingPerSubscription: maxPending, closeTimeoutMs, logger } = this.options;
    return { channel, replay, handler: handler as MessageHandler, options, maxPending, closeTimeoutMs, logger };
  }
}
