import { randomBytes } from 'node:crypto';
import {
  BusError,
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
import { BusLifecycle, deadLetterHeaders, lazyMessage, preparePublish, resolveSubscribeOptions } from '@app/core/driver';
import { BroadcastSubscribers } from './broadcast-subscribers.js';
import { ConsumerGroup } from './consumer-group.js';
import { History } from './history.js';
import { LocalSubscription, type SubscriptionHost } from './local-subscription.js';
import type { ResolvedMemoryBusOptions } from './options.js';
import { Outbox } from './outbox.js';
import { formatPosition, parsePosition } from './position.js';

const FEATURES: ReadonlySet<BusFeature> = new Set(['orderedPerChannel', 'replay', 'groups']);

/**
 * An in-process bus: a publish is fanned out synchronously to the subscribers' queues, except what
 * handlers publish during a fan-out (and every publish while that waits), which goes after a hop.
 */
export class MemoryBus implements MessageBus {
  readonly driver = 'memory';
  readonly features = FEATURES;
  readonly limits: BusLimits;
  private readonly epoch = randomBytes(4).toString('hex');
  private seq = 0;
  /**
   * Sequence number of the newest message fanned out (in history, offered to subscribers). Behind
   * `seq` while messages wait in `outbox`.
   */
  private fannedOut = 0;
  private readonly history: History;
  private readonly broadcast = new BroadcastSubscribers();
  private readonly groups = new Map<string, Map<string, ConsumerGroup>>();
  private readonly redeliveries = new Set<NodeJS.Timeout>();
  private readonly lifecycle: BusLifecycle;
  /** A fan-out is running; a publish now waits in `outbox`. */
  private fanningOut = false;
  /** Published from a handler during a fan-out, or while such messages wait: fanned out after a hop. */
  private readonly outbox = new Outbox(() => this.flushOutbox());
  /**
   * Subscribed during a fan-out, or `from` a position still in `outbox`: registered once the
   * message with sequence number `afterSeq` is fanned out (it and those before are in the backlog, or before the start).
   */
  private readonly joining: { subscription: LocalSubscription; afterSeq: number }[] = [];

  private readonly host: SubscriptionHost;

  constructor(private readonly options: ResolvedMemoryBusOptions) {
    this.limits = { maxPayloadBytes: options.maxPayloadBytes };
    this.history = new History(options.historyPerChannel, options.historyTotal);
    this.lifecycle = new BusLifecycle('memory', options.closeTimeoutMs, options.logger);
    this.host = {
      logger: options.logger,
      maxPending: options.maxPendingPerSubscription,
      closeTimeoutMs: options.closeTimeoutMs,
      failed: (subscription, message, error) => this.handleFailure(subscription, message, error),
      freed: (subscription) => this.groups.get(subscription.channel)?.get(subscription.options.group as string)?.refill(),
      detach: (subscription) => this.detach(subscription),
      returned: (subscription, messages) => this.returnToGroup(subscription, messages),
    };
  }

  status(): BusStatus {
    return this.lifecycle.status(() => 'ready');
  }

  async publish(channel: string, data: unknown, options?: PublishOptions): Promise<PublishReceipt> {
    return this.append(channel, data, options, true);
  }

  /**
   * Publishes; `bounded` false for the bus's own dead letters, which a full group on the
   * dead-letter channel must not turn into a loss (they join its backlog past the bound).
   */
  private async append(channel: string, data: unknown, options: PublishOptions | undefined, bounded: boolean): Promise<PublishReceipt> {
    this.lifecycle.assertOpen();
    const prepared = preparePublish(channel, data, options, this.limits);
    if (bounded) this.assertGroupsHaveRoom(channel);
    this.seq += 1;
    // The encoded payload travels as dataJson; `data` is decoded from it only if a subscriber reads
    // it, which still gives subscribers a copy apart from the publisher's object, as a remote bus would.
    const message = lazyMessage({
      id: prepared.id,
      channel,
      dataJson: prepared.payload,
      headers: prepared.headers,
      timestamp: Date.now(),
      position: formatPosition(this.epoch, this.seq),
      attempt: 1,
    });
    if (this.fanningOut || this.outbox.size > 0) {
      // Published from inside a handler (fan-out is synchronous): offering it now would hand it to
      // the subscribers after this one before the message being fanned out, and they would see
      // another order than the ones before. It waits for a later hop, and so does every publish
      // after it, in publish order.
      this.outbox.add(message, this.seq, prepared.ephemeral);
    } else {
      this.fanOutAll(message, this.seq, prepared.ephemeral);
    }
    return { id: message.id, position: message.position };
  }

  /**
   * Refuses a publish (retryable `overloaded`, nothing published) while a group on the channel
   * holds `maxPendingPerSubscription` messages none of its members could take yet: the publisher
   * waits for the group rather than the group losing messages.
   */
  private assertGroupsHaveRoom(channel: string): void {
    for (const [name, group] of this.groups.get(channel) ?? []) {
      if (!group.full) continue;
      throw new BusError(
        'overloaded',
        `group "${name}" on "${channel}" has ${group.waiting} messages its members cannot take yet (maxPendingPerSubscription ${this.options.maxPendingPerSubscription}); publish again once it catches up`,
        { retryable: true },
      );
    }
  }

  /** Fans out `first`; what its handlers publish meanwhile goes to `outbox`, for a later hop. */
  private fanOutAll(first: Message, seq: number, ephemeral: boolean): void {
    this.delivering(() => this.fanOut(first, seq, ephemeral));
  }

  /**
   * Runs `work`, which may run handlers synchronously (a fan-out, or a replay backlog), with what
   * those handlers publish held in `outbox` for a later hop. A replay backlog runs here too: a
   * reply fanned out before its subscription is registered would miss it.
   */
  private delivering(work: () => void): void {
    if (this.fanningOut) {
      work();
      return;
    }
    this.fanningOut = true;
    try {
      work();
    } finally {
      this.fanningOut = false;
      this.admitJoining();
    }
  }

  /**
   * Fans out what waits in `outbox` now, in publish order. What handlers publish meanwhile waits
   * for the next hop: one hop per round of replies, so timers and I/O run between rounds.
   */
  private flushOutbox(): void {
    const { messages, seqs, ephemeral } = this.outbox.take();
    this.delivering(() => {
      for (let index = 0; index < messages.length; index += 1) this.fanOut(messages[index] as Message, seqs[index] as number, ephemeral[index] === true);
    });
  }

  /**
   * Offers `message` to subscribers and groups. An ephemeral one skips history (it costs no
   * eviction of stored messages) but takes the same path otherwise, so its order and its sequence
   * number relative to stored ones hold; a replay from its position gets the stored ones after it.
   */
  private fanOut(message: Message, seq: number, ephemeral: boolean): void {
    // Into history only now, so that a replay subscribed from a handler meets live delivery of a
    // queued message once, not in its backlog and live both.
    this.fannedOut = seq;
    if (!ephemeral) this.history.add(message, seq);
    this.broadcast.offer(message);
    for (const group of this.groups.get(message.channel)?.values() ?? []) group.assign(message);
    this.admitJoining();
  }

  /** Registers the joining subscriptions whose start is fanned out (all of them once no fan-out runs and nothing waits). */
  private admitJoining(): void {
    if (this.joining.length === 0) return;
    let kept = 0;
    for (const entry of this.joining) {
      if (entry.afterSeq <= this.fannedOut) this.register(entry.subscription);
      else this.joining[kept++] = entry;
    }
    this.joining.length = kept;
  }

  async subscribe<T = unknown>(channel: string, handler: MessageHandler<T>, options?: SubscribeOptions): Promise<Subscription> {
    this.lifecycle.assertOpen();
    const resolved = resolveSubscribeOptions(channel, handler, options, this.features);
    let replay: ReplayStart = 'none';
    let backlog: readonly Message[] = [];
    // A live subscription gets what is fanned out after now (joining mid fan-out: after the
    // message being fanned out); what waits in `outbox` comes to it live.
    let start = formatPosition(this.epoch, this.fannedOut);
    let afterSeq = this.fannedOut;
    if (resolved.from !== undefined) {
      const position = parsePosition(resolved.from);
      if (position.epoch === this.epoch && position.seq > this.seq) {
        throw new BusError('invalid_position', `position ${resolved.from} is ahead of anything published on this bus`);
      }
      // A position from another bus instance (an earlier process) cannot be placed in this history.
      const fromSeq = position.epoch === this.epoch ? position.seq : 0;
      const slice = this.history.after(channel, fromSeq);
      // A position still in `outbox` (its publisher has the receipt): join live only after it.
      afterSeq = Math.max(fromSeq, this.fannedOut);
      backlog = slice.messages;
      replay = slice.truncated || position.epoch !== this.epoch ? 'truncated' : 'exact';
      start = formatPosition(position.epoch, position.seq);
    }
    const startPosition = resolved.mode === 'broadcast' ? start : undefined;
    const subscription = this.lifecycle.adopt(new LocalSubscription(channel, replay, startPosition, handler as MessageHandler, resolved, this.host));
    // From a handler, mid fan-out: the message being fanned out is in the backlog already (or was
    // published before this subscribe), so the subscription joins once that message is through.
    if (this.fanningOut || afterSeq > this.fannedOut) {
      for (const message of backlog) subscription.offer(message);
      this.joining.push({ subscription, afterSeq });
      return subscription;
    }
    // Backlog and registration happen in one synchronous step, so replay meets live with no gap (a
    // backlog over the bound ends the subscription with position_expired at once), and what the
    // handler publishes meanwhile is fanned out only once the subscription is registered.
    this.delivering(() => {
      for (const message of backlog) subscription.offer(message);
      this.register(subscription);
    });
    return subscription;
  }

  private register(subscription: LocalSubscription): void {
    // Unsubscribed while it waited to join.
    if (!subscription.active) return;
    if (subscription.mode === 'group') this.groupFor(subscription.channel, subscription.options.group as string).add(subscription);
    else this.broadcast.add(subscription);
  }

  close(): Promise<void> {
    return this.lifecycle.close(async () => {
      // Publishes already accepted are delivered; handlers can publish no more (the bus is closed).
      while (this.outbox.size > 0) this.flushOutbox();
      this.outbox.cancel();
      for (const timer of this.redeliveries) clearTimeout(timer);
      this.redeliveries.clear();
      await this.lifecycle.endSubscriptions();
    });
  }

  private groupFor(channel: string, name: string): ConsumerGroup {
    let groups = this.groups.get(channel);
    if (groups === undefined) {
      groups = new Map();
      this.groups.set(channel, groups);
    }
    let group = groups.get(name);
    if (group === undefined) {
      group = new ConsumerGroup(this.options.maxPendingPerSubscription);
      groups.set(name, group);
    }
    return group;
  }

  private detach(subscription: LocalSubscription): void {
    const { channel } = subscription;
    if (subscription.mode === 'broadcast') {
      this.broadcast.remove(subscription);
      return;
    }
    const groups = this.groups.get(channel);
    const name = subscription.options.group as string;
    const group = groups?.get(name);
    group?.remove(subscription);
    if (group?.size === 0) {
      // An in-process group exists only while it has members: nobody is left to take what waits.
      const dropped = group.clear();
      if (dropped > 0) this.options.logger.warn({ channel, group: name, dropped }, 'the last member of a group left; the messages waiting for it were dropped');
      groups?.delete(name);
    }
    if (groups?.size === 0) this.groups.delete(channel);
  }

  /** A member that ended gives back what it did not finish: the rest of the group gets it. */
  private returnToGroup(subscription: LocalSubscription, messages: readonly Message[]): void {
    const name = subscription.options.group as string;
    const group = this.groups.get(subscription.channel)?.get(name);
    if (group !== undefined) {
      for (const message of messages) group.assign(message);
      return;
    }
    // No member left (or the bus is closing): an in-process group has nobody to keep them for.
    if (this.lifecycle.status(() => 'ready') !== 'closed') {
      this.options.logger.warn({ channel: subscription.channel, group: name, dropped: messages.length }, 'the last member of a group left; the messages it had not finished were dropped');
    }
  }

  /** A group handler failed: dead-letter after `maxAttempts`, else hand the message out again after a pause. */
  private handleFailure(subscription: LocalSubscription, message: Message, error: Error): void {
    const { maxAttempts, deadLetterChannel, group } = subscription.options;
    if (message.attempt >= maxAttempts) {
      this.append(deadLetterChannel, message.data, { id: message.id, headers: deadLetterHeaders(message, error) }, false).catch(
        (deadLetterError: unknown) =>
          this.options.logger.error({ channel: message.channel, messageId: message.id, err: deadLetterError }, 'dead-letter publish failed'),
      );
      return;
    }
    const timer = setTimeout(() => {
      this.redeliveries.delete(timer);
      const retry: Message = { ...message, attempt: message.attempt + 1 };
      const target = this.groups.get(message.channel)?.get(group as string);
      if (target === undefined) {
        this.options.logger.warn({ channel: message.channel, group, messageId: message.id }, 'group has no member left; message dropped');
      } else {
        target.assign(retry);
      }
    }, this.options.redeliveryDelayMs);
    this.redeliveries.add(timer);
  }
}
