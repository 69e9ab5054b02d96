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
  /** A group member ended holding messages it did not finish: hand them to the rest of its group. */
  returned(subscription: LocalSubscription, messages: readonly Message[]): void;
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

  /**
   * Group mode: the messages this member took and did not finish (queued, or running when it was
   * abandoned). Ending drops a queue, and a member is the only holder of what it took, so these
   * go back to the group rather than being lost. Made on the first group message.
   */
  #unsettled: Set<Message> | undefined;

  override push(message: Message): boolean {
    if (this.mode === 'broadcast') return super.push(message);
    // Recorded first: a synchronous handler settles inside `push`.
    this.#unsettled ??= new Set();
    this.#unsettled.add(message);
    const taken = super.push(message);
    if (!taken) this.#unsettled.delete(message);
    return taken;
  }

  protected override async afterStop(): Promise<void> {
    if (this.#unsettled === undefined || this.#unsettled.size === 0) return;
    const left = [...this.#unsettled];
    this.#unsettled.clear();
    this.host.returned(this, left);
  }

  protected detach(): void {
    this.host.detach(this);
  }

  protected override settled(message: Message, error: Error | undefined): void {
    if (this.mode === 'broadcast') {
      if (error !== undefined) this.reportError(error, message);
      return;
    }
    this.#unsettled?.delete(message);
    if (error !== undefined) this.host.failed(this, message, error);
    this.host.freed(this);
  }
}
