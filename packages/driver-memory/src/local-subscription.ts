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

/** What a subscription does with a message whose handler failed. */
export type FailureHandler = (subscription: LocalSubscription, message: Message, error: unknown) => void;

/** One subscriber: a bounded queue in front of its handler. */
export class LocalSubscription implements Subscription {
  readonly mode;
  private readonly queue: DeliveryQueue<Message>;
  private ended = false;

  constructor(
    readonly channel: string,
    readonly replay: ReplayStart,
    private readonly handler: MessageHandler,
    readonly options: ResolvedSubscribeOptions,
    maxPending: number,
    private readonly onFailure: FailureHandler,
    private readonly logger: BusLogger,
    private readonly detach: (subscription: LocalSubscription) => void,
  ) {
    this.mode = options.mode;
    this.queue = new DeliveryQueue((message) => this.deliver(message), maxPending);
  }

  get active(): boolean {
    return !this.ended;
  }

  /** Queues a message; false when this subscriber's queue is full or it has ended. */
  offer(message: Message, reportOverflow = true): boolean {
    if (this.ended) return false;
    if (this.queue.push(message)) return true;
    if (reportOverflow) this.reportOverflow(message);
    return false;
  }

  reportOverflow(message: Message): void {
    this.reportError(
      new BusError('internal', `subscriber on "${this.channel}" is ${this.queue.size} messages behind; message ${message.id} was dropped`),
      message,
    );
  }

  reportError(error: Error, message?: Message): void {
    reportSubscriptionError(this.options.onError, this.logger, this.channel, error, message);
  }

  /** Lets queued messages finish, for at most `timeoutMs`, then ends. */
  async drainAndEnd(timeoutMs: number): Promise<void> {
    await this.queue.drainedWithin(timeoutMs);
    await this.unsubscribe();
  }

  async unsubscribe(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      this.detach(this);
    }
    await this.queue.stop();
  }

  /** Runs the handler; returns a promise only for a handler that returned one (the queue waits for it). */
  private deliver(message: Message): Promise<void> | undefined {
    if (this.ended) return undefined;
    let result: void | Promise<void>;
    try {
      result = this.handler(message);
    } catch (error) {
      this.onFailure(this, message, error);
      return undefined;
    }
    if (result === undefined) return undefined;
    return Promise.resolve(result).then(undefined, (error: unknown) => this.onFailure(this, message, error));
  }
}
