import {
  reportSubscriptionError,
  BusError,
  DeliveryQueue,
  withTimeout,
  type BusLogger,
  type DeliveryMode,
  type Message,
  type MessageHandler,
  type ReplayStart,
  type ResolvedSubscribeOptions,
  type Subscription,
} from '@app/core';

/**
 * One subscriber in this process. Broadcast and replay deliveries go through a bounded queue
 * (a slow handler never holds up the consumer); group deliveries are awaited by the group
 * consumer itself via {@link LocalSubscription.invoke}, which is what makes retries possible.
 */
export class LocalSubscription implements Subscription {
  readonly mode: DeliveryMode;
  private readonly queue: DeliveryQueue<Message>;
  private ended = false;
  private ending: Promise<void> | undefined;
  private invoking: Promise<unknown> | undefined;
  private start: string | undefined;

  constructor(
    readonly channel: string,
    readonly replay: ReplayStart,
    private readonly handler: MessageHandler,
    readonly options: ResolvedSubscribeOptions,
    maxPending: number,
    private readonly logger: BusLogger,
    private readonly detach: (subscription: LocalSubscription) => Promise<void>,
  ) {
    this.mode = options.mode;
    this.queue = new DeliveryQueue((message) => this.deliver(message), maxPending);
  }

  get active(): boolean {
    return !this.ended;
  }

  /** See {@link Subscription.startPosition}: set by the reader (broadcast) or from `from` (replay); never for group members. */
  get startPosition(): string | undefined {
    return this.start;
  }

  /** Records where delivery starts: the position right before the first record this subscription is handed. */
  startAfter(position: string): void {
    this.start = position;
  }

  /** Queues a broadcast delivery. Overflow is reported, never buffered without bound. */
  offer(message: Message): void {
    if (this.ended || this.queue.push(message)) return;
    this.reportError(
      new BusError('internal', `subscriber on "${this.channel}" is ${this.queue.size} messages behind; message ${message.id} was dropped for it`),
      message,
    );
  }

  /** Runs the handler for a group delivery; resolves with the error it threw, if any. */
  async invoke(message: Message): Promise<unknown> {
    if (this.ended) return new BusError('closed', 'the subscription ended before the message could be handled');
    const call = (async () => {
      try {
        await this.handler(message);
        return undefined;
      } catch (error) {
        return error ?? new Error('handler threw a nullish value');
      }
    })();
    this.invoking = call;
    try {
      return await call;
    } finally {
      if (this.invoking === call) this.invoking = undefined;
    }
  }

  reportError(error: Error, message?: Message): void {
    reportSubscriptionError(this.options.onError, this.logger, this.channel, error, message);
  }

  /**
   * Lets queued deliveries finish for at most `timeoutMs`, then ends, waiting at most
   * `timeoutMs` more for a running handler: a handler that never returns must not hang `close()`.
   * No handler call starts after this resolves.
   */
  async drainAndEnd(timeoutMs: number): Promise<void> {
    await this.queue.drainedWithin(timeoutMs);
    try {
      await withTimeout(this.unsubscribe(), timeoutMs, `the handler of a subscription on "${this.channel}" to return`);
    } catch (error) {
      this.logger.warn({ channel: this.channel, err: error }, 'closing without waiting any longer for a handler that is still running');
    }
  }

  unsubscribe(): Promise<void> {
    this.ending ??= this.end();
    return this.ending;
  }

  private async end(): Promise<void> {
    this.ended = true;
    try {
      await this.detach(this);
    } finally {
      await this.queue.stop();
      await this.invoking;
    }
  }

  private async deliver(message: Message): Promise<void> {
    if (this.ended) return;
    try {
      await this.handler(message);
    } catch (error) {
      this.reportError(error instanceof Error ? error : new Error(String(error)), message);
    }
  }
}
