import { DeliveryQueue } from '../delivery-queue.js';
import { BusError } from '../errors.js';
import type { BusLogger } from '../logger.js';
import type { DeliveryMode, Message, MessageHandler, ReplayStart, Subscription } from '../message-bus.js';
import type { ResolvedSubscribeOptions } from '../subscribe-options.js';
import { reportSubscriptionError } from '../subscription-errors.js';

/** What every subscription of a driver is made with. */
export interface DriverSubscriptionSettings {
  readonly channel: string;
  /** How a `from` subscription started (`none` without `from`); see {@link Subscription.replay}. */
  readonly replay: ReplayStart;
  readonly handler: MessageHandler;
  /** The result of `resolveSubscribeOptions` for this call. */
  readonly options: ResolvedSubscribeOptions;
  /** Messages that may wait for the handler (not counting the one running); the queue's bound. */
  readonly maxPending: number;
  /**
   * How long ending waits for a handler still running, in ms (the bus's `closeTimeoutMs`). Past
   * it the handler is abandoned: its late completion is ignored (no `settled` hook, so no ack).
   */
  readonly closeTimeoutMs: number;
  readonly logger: BusLogger;
  /** The option that sets `maxPending`, named in the `position_expired` message. Default: `maxPendingPerSubscription`. */
  readonly boundOption?: string;
}

/** Any thrown value as an Error, for `onError`, logs and redelivery hooks. */
export function asError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(value === undefined || value === null ? 'handler threw a nullish value' : String(value));
}

/**
 * The subscription skeleton every driver in this workspace is written on: a bounded
 * {@link DeliveryQueue} in front of the handler (made on the first message, so an idle
 * subscription costs no queue), the handler error path, ending exactly once (unsubscribe, bus
 * close, or `position_expired`), and a bounded drain.
 *
 * A driver subclasses it and fills in the hooks:
 * - `detach()` (required): stop taking messages from the backend; called once, synchronously,
 *   when the subscription starts ending or the bus starts draining it.
 * - `settled(message, error)`: what follows a handler call; `error` is undefined on success.
 *   Default: a failure is reported through `onError` (the broadcast rule). Group members override
 *   it to ack on success and redeliver or dead-letter on failure.
 * - `afterStop()`: async work once no handler runs any more (remove a group consumer, stop a
 *   reader). Default: none.
 *
 * Messages come in through `push` (false when full: the driver applies backpressure, as Redis
 * does), `offer` (broadcast: past the bound the subscription ends with `position_expired`) or
 * `invoke` (a group consumer that awaits each delivery itself, as Kafka's does).
 */
export abstract class DriverSubscription implements Subscription {
  readonly channel: string;
  readonly mode: DeliveryMode;
  readonly replay: ReplayStart;
  readonly options: ResolvedSubscribeOptions;
  protected readonly handler: MessageHandler;
  protected readonly logger: BusLogger;
  protected readonly maxPending: number;
  readonly #closeTimeoutMs: number;
  readonly #boundOption: string;
  #queue: DeliveryQueue<Message> | undefined;
  #endedFlag = false;
  #detachedFlag = false;
  #abandoned = false;
  #ending: Promise<void> | undefined;
  /** Handler calls made through `invoke`, which the queue does not know about, each with what stops its caller waiting. */
  readonly #invoking = new Map<Promise<unknown>, () => void>();
  #endListeners: (() => void)[] = [];
  #start: string | undefined;

  constructor(settings: DriverSubscriptionSettings) {
    this.channel = settings.channel;
    this.mode = settings.options.mode;
    this.replay = settings.replay;
    this.options = settings.options;
    this.handler = settings.handler;
    this.logger = settings.logger;
    this.maxPending = settings.maxPending;
    this.#closeTimeoutMs = settings.closeTimeoutMs;
    this.#boundOption = settings.boundOption ?? 'maxPendingPerSubscription';
  }

  /** See {@link Subscription.startPosition}: what `startAfter` recorded; undefined until then and in group mode. */
  get startPosition(): string | undefined {
    return this.#start;
  }

  /** Records where delivery starts (see {@link Subscription.startPosition}); the driver calls it once, before `subscribe` resolves. */
  startAfter(position: string): void {
    this.#start = position;
  }

  /** False once the subscription started ending: no handler call starts any more. */
  get active(): boolean {
    return !this.#endedFlag;
  }

  /** True once it started ending (same as `!active`), for subclasses. */
  protected get ended(): boolean {
    return this.#endedFlag;
  }

  /** True once `detach` ran: the driver takes no more messages from the backend for it. */
  protected get detached(): boolean {
    return this.#detachedFlag;
  }

  /** Messages waiting for the handler, not counting the one running. */
  get waiting(): number {
    return this.#queue?.size ?? 0;
  }

  /** Queues a message for the handler; false when the queue is full or the subscription ended (the message is not taken). */
  push(message: Message): boolean {
    if (this.#endedFlag) return false;
    this.#queue ??= new DeliveryQueue((queued) => this.#run(queued), this.maxPending);
    return this.#queue.push(message);
  }

  /**
   * Queues a broadcast message. Past the bound the subscription ends: see {@link expire}.
   * Returns false when the message was not taken (full, or ended already).
   */
  offer(message: Message): boolean {
    if (this.push(message)) return true;
    if (!this.#endedFlag) void this.expire();
    return false;
  }

  /**
   * Ends the subscription because it fell more than `maxPending` messages behind: no handler call
   * starts after this, queued messages are dropped (what was handled is a gap-free prefix), and
   * once the running handler returned (bounded by `closeTimeoutMs`) `onError` is called once with
   * a retryable `position_expired` BusError naming the channel and the bound. The caller resumes
   * with `subscribe(channel, handler, { from })`, `from` being the position of the last message
   * it handled (or `startPosition` when none). Resolves when that is done; never rejects.
   *
   * @param behind How far behind it fell, for the message. Default: `more than <maxPending>
   *   messages behind (<boundOption>)`; a driver with another bound names that one.
   */
  expire(behind = `more than ${this.maxPending} messages behind (${this.#boundOption})`): Promise<void> {
    const error = new BusError(
      'position_expired',
      `subscriber on "${this.channel}" fell ${behind}; the subscription ended: subscribe again with from = the position of the last message handled`,
      { retryable: true },
    );
    return this.#end(error);
  }

  /** Hands an error that belongs to this subscription to its `onError`, or logs it (see `reportSubscriptionError`). */
  reportError(error: Error, message?: Message): void {
    reportSubscriptionError(this.options.onError, this.logger, this.channel, error, message);
  }

  /**
   * Runs the handler outside the queue, for a group consumer that awaits each delivery itself.
   * Resolves with the error the handler threw (as an Error), undefined on success, or a `closed`
   * BusError when the subscription ended before the call or abandoned the handler while it ran
   * (past `closeTimeoutMs` of ending: the message was not handled, the caller must not ack it).
   * Ending waits for it, bounded like any running handler. Never rejects.
   */
  async invoke(message: Message): Promise<Error | undefined> {
    if (this.#endedFlag) return new BusError('closed', 'the subscription ended before the message could be handled');
    const call = (async () => {
      try {
        await this.handler(message);
        return undefined;
      } catch (error) {
        return asError(error);
      }
    })();
    let stopWaiting: () => void = () => {};
    const abandoned = new Promise<BusError>((resolve) => {
      stopWaiting = () => resolve(new BusError('closed', 'the subscription ended while its handler was still running'));
    });
    this.#invoking.set(call, stopWaiting);
    try {
      return await Promise.race([call, abandoned]);
    } finally {
      this.#invoking.delete(call);
    }
  }

  /** Calls `listener` once when the subscription has ended (used by {@link BusLifecycle} to forget it). */
  onEnded(listener: () => void): void {
    if (this.#ending === undefined) this.#endListeners.push(listener);
    else void this.#ending.then(listener);
  }

  /**
   * Stops delivery; see {@link Subscription.unsubscribe}. Waits for a running handler at most
   * `closeTimeoutMs`, then resolves anyway and abandons it (its completion is ignored). Every
   * call returns the same promise; after the subscription ended by itself it resolves at once.
   */
  unsubscribe(): Promise<void> {
    return this.#end(undefined);
  }

  /**
   * For `close()`: stops taking messages from the backend, lets queued ones run for at most
   * `timeoutMs`, then ends, waiting for a running handler only until the same deadline (at least
   * 1 ms). No handler call starts after this resolves. Never rejects.
   */
  async drainAndEnd(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.#detachOnce();
    await this.#queue?.drainedWithin(timeoutMs);
    await this.#end(undefined, Math.max(deadline - Date.now(), 1));
  }

  /** Stop taking messages from the backend (see the class notes). */
  protected abstract detach(): void;

  /** What follows a handler call; `error` is undefined on success. Default: a failure goes to `onError`. */
  protected settled(message: Message, error: Error | undefined): void | Promise<void> {
    if (error !== undefined) this.reportError(error, message);
  }

  /** Work once no handler runs any more. Default: none. */
  protected async afterStop(): Promise<void> {}

  #detachOnce(): void {
    if (this.#detachedFlag) return;
    this.#detachedFlag = true;
    this.detach();
  }

  #end(reason: BusError | undefined, waitMs = this.#closeTimeoutMs): Promise<void> {
    this.#ending ??= this.#finish(reason, waitMs);
    return this.#ending;
  }

  async #finish(reason: BusError | undefined, waitMs: number): Promise<void> {
    this.#endedFlag = true;
    try {
      this.#detachOnce();
      await this.#stopHandlers(waitMs);
      await this.afterStop();
    } catch (error) {
      this.logger.warn({ channel: this.channel, err: error }, 'ending a subscription failed');
    } finally {
      const listeners = this.#endListeners;
      this.#endListeners = [];
      for (const listener of listeners) listener();
      if (reason !== undefined) this.reportError(reason);
    }
  }

  /** Drops what waits and waits for what runs, for at most `waitMs`; past that, abandons it. */
  async #stopHandlers(waitMs: number): Promise<void> {
    const running = Promise.all([this.#queue?.stop(), ...this.#invoking.keys()]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), waitMs);
    });
    try {
      if (await Promise.race([running.then(() => false), timedOut])) {
        this.#abandoned = true;
        for (const stopWaiting of this.#invoking.values()) stopWaiting();
        this.logger.warn({ channel: this.channel, waitedMs: waitMs }, 'ending a subscription without waiting any longer for a handler that is still running');
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** The queue's consumer: returns a promise only when the handler or `settled` did. */
  #run(message: Message): Promise<void> | undefined {
    if (this.#endedFlag) return undefined;
    let result: void | Promise<void>;
    try {
      result = this.handler(message);
    } catch (error) {
      return this.#conclude(message, asError(error));
    }
    if (result === undefined) return this.#conclude(message, undefined);
    return Promise.resolve(result).then(
      () => this.#conclude(message, undefined),
      (error: unknown) => this.#conclude(message, asError(error)),
    );
  }

  #conclude(message: Message, error: Error | undefined): Promise<void> | undefined {
    // An abandoned handler's late result is ignored: the bus moved on (a group message is redelivered).
    if (this.#abandoned) return undefined;
    const next = this.settled(message, error);
    return next instanceof Promise ? next : undefined;
  }
}
