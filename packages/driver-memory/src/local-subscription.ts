import { BusError, type BusLogger, type Message, type MessageHandler, type ReplayStart } from '@app/core';
import { DriverSubscription, type ResolvedSubscribeOptions } from '@app/core/driver';

/**
 * What every subscription of one bus shares: one object per bus rather than closures and fields
 * per subscription, since a server holds one subscription per channel, most of them idle.
 */
export interface SubscriptionHost {
  readonly logger: BusLogger;
  readonly maxPending: number;
  readonly closeTimeoutMs: number;
  /** A group message whose handler failed: redeliver or dead-letter it. */
  failed(subscription: LocalSubscription, message: Message, error: Error): void;
  /** Called once when the subscription ends, to take it off its channel. */
  detach(subscription: LocalSubscription): void;
}

/**
 * One subscriber: the core skeleton (a bounded queue in front of its handler; a broadcast
 * subscriber past the bound ends with `position_expired`), with group failures handed to the bus.
 */
export class LocalSubscription extends DriverSubscription {
  constructor(
    channel: string,
    replay: ReplayStart,
    /** See {@link Subscription.startPosition}; undefined in group mode. */
    startPosition: string | undefined,
    handler: MessageHandler,
    options: ResolvedSubscribeOptions,
    private readonly host: SubscriptionHost,
  ) {
    super({ channel, replay, handler, options, maxPending: host.maxPending, closeTimeoutMs: host.closeTimeoutMs, logger: host.logger });
    if (startPosition !== undefined) this.startAfter(startPosition);
  }

  /** A group message no member could take (every queue full): dropped, and said so. */
  reportOverflow(message: Message): void {
    this.reportError(
      new BusError('internal', `every member of group "${this.options.group}" on "${this.channel}" is ${this.waiting} messages behind; message ${message.id} was dropped`),
      message,
    );
  }

  protected detach(): void {
    this.host.detach(this);
  }

  protected override settled(message: Message, error: Error | undefined): void {
    if (error === undefined) return;
    if (this.mode === 'broadcast') this.reportError(error, message);
    else this.host.failed(this, message, error);
  }
}
