import {
  reportSubscriptionError,
  BusError,
  DeliveryQueue,
  type BusLogger,
  type Message,
  type MessageHandler,
  type ReplayStart,
  type ResolvedSubscribeOptions,
  type Subscription,
} from '@app/core';

/**
 * What every subscription of one bus shares: one object per bus rather than closures and fields
 * per subscription, since a server holds one subscription per channel, most of them idle.
 */
export interface SubscriptionHost {
  readonly logger: BusLogger;
  readonly maxPending: number;
  /** A message whose handler failed. */
  failed(subscription: LocalSubscription, message: Message, error: unknown): void;
  /** Called once when the subscription ends, to take it off its channel. */
  detach(subscription: LocalSubscription): void;
}

/** One subscriber: a bounded queue in front of its handler. */
export class LocalSubscription implements Subscription {
  readonly mode;
  /** Made on the first message: an idle subscription costs no queue. */
  private queue: DeliveryQueue<Message> | undefined;
  private ended = false;

  constructor(
    readonly channel: string,
    readonly replay: ReplayStart,
    /** See {@link Subscription.startPosition}; undefined in group mode. */
    readonly startPosition: string | undefined,
    private readonly handler: MessageHandler,
    readonly options: ResolvedSubscribeOptions,
    private readonly host: SubscriptionHost,
  ) {
    this.mode = options.mode;
  }

  get active(): boolean {
    return !this.ended;
  }

  /** Queues a message; false when this subscriber's queue is full or it has ended. */
  offer(message: Message, reportOverflow = true): boolean {
    if (this.ended) return false;
    this.queue ??= new DeliveryQueue((queued) => this.deliver(queued), this.host.maxPending);
    if (this.queue.push(message)) return true;
    if (reportOverflow) this.reportOverflow(message);
    return false;
  }

  reportOverflow(message: Message): void {
    this.reportError(
      new BusError('internal', `subscriber on "${this.channel}" is ${this.queue?.size ?? 0} messages behind; message ${message.id} was dropped`),
      message,
    );
  }

  reportError(error: Error, message?: Message): void {
    reportSubscriptionError(this.options.onError, this.host.logger, this.channel, error, message);
  }

  /** Lets queued messages finish, for at most `timeoutMs`, then ends. */
  async drainAndEnd(timeoutMs: number): Promise<void> {
    await this.queue?.drainedWithin(timeoutMs);
    await this.unsubscribe();
  }

  async unsubscribe(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      this.host.detach(this);
    }
    await this.queue?.stop();
  }

  /** Runs the handler; returns a promise only for a handler that returned one (the queue waits for it). */
  private deliver(message: Message): Promise<void> | undefined {
    if (this.ended) return undefined;
    let result: void | Promise<void>;
    try {
      result = this.handler(message);
    } catch (error) {
      this.host.failed(this, message, error);
      return undefined;
    }
    if (result === undefined) return undefined;
    return Promise.resolve(result).then(undefined, (error: unknown) => this.host.failed(this, message, error));
  }
}
