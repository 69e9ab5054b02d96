import {
  reportSubscriptionError,
  DeliveryQueue,
  type BusLogger,
  type DeliveryMode,
  type Message,
  type MessageHandler,
  type ReplayStart,
  type ResolvedSubscribeOptions,
  type Subscription,
} from '@app/core';

/** Any thrown value as an Error, for `onError` and logs. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * What broadcast and group subscriptions share: a bounded queue in front of the handler, so
 * handler calls never overlap, error reporting, and ending (unsubscribe or close).
 */
export abstract class Subscriber implements Subscription {
  abstract readonly mode: DeliveryMode;
  protected readonly queue: DeliveryQueue<Message>;
  /** Set by unsubscribe (or the end of close): no handler starts any more. */
  protected ended = false;
  /** Set once the subscription stopped taking new messages from Redis. */
  protected detached = false;
  private ending: Promise<void> | undefined;

  constructor(
    readonly channel: string,
    /** The channel's stream key. */
    readonly key: string,
    readonly replay: ReplayStart,
    protected readonly handler: MessageHandler,
    readonly options: ResolvedSubscribeOptions,
    protected readonly maxPending: number,
    protected readonly logger: BusLogger,
    private readonly onEnded: (subscriber: Subscriber) => void,
  ) {
    this.queue = new DeliveryQueue((message) => this.handle(message), maxPending);
  }

  /** Runs the handler for one message and deals with the outcome. */
  protected abstract handle(message: Message): Promise<void>;

  /** Stops taking new messages from Redis (called once, before the queue stops). */
  protected abstract detach(): void;

  /** Work after the queue stopped, such as removing a group consumer. Default: none. */
  protected async afterStop(): Promise<void> {}

  reportError(error: Error, message?: Message): void {
    reportSubscriptionError(this.options.onError, this.logger, this.channel, error, message);
  }

  unsubscribe(): Promise<void> {
    this.ending ??= this.end();
    return this.ending;
  }

  /** Lets queued messages finish for at most `timeoutMs` (close), then ends. */
  async drainAndEnd(timeoutMs: number): Promise<void> {
    this.detachOnce();
    await this.queue.drainedWithin(timeoutMs);
    await this.unsubscribe();
  }

  private detachOnce(): void {
    if (this.detached) return;
    this.detached = true;
    this.detach();
  }

  private async end(): Promise<void> {
    this.ended = true;
    this.detachOnce();
    await this.queue.stop();
    try {
      await this.afterStop();
    } finally {
      this.onEnded(this);
    }
  }
}
