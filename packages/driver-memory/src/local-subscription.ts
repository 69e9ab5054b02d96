import { type BusLogger, type Message, type MessageHandler, type ReplayStart } from '@app/core';
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
  /** A group member's handler call is done, so its queue has room: its group hands out what waits. */
  freed(subscription: LocalSubscription): void;
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

  protected detach(): void {
    this.host.detach(this);
  }

  protected override settled(message: Message, error: Error | undefined): void {
    if (this.mode === 'broadcast') {
      if (error !== undefined) this.reportError(error, message);
      return;
    }
    if (error !== undefined) this.host.failed(this, message, error);
    this.host.freed(this);
  }
}
