import { BusError, type Message, type MessageBus, type SubscribeOptions, type Subscription } from '@app/core';

interface Tracked {
  readonly channel: string;
  readonly onError: SubscribeOptions['onError'];
  inner: Subscription | undefined;
  /** Falling behind: the driver would queue these; here they are simply not delivered. */
  stalled: boolean;
  ended: boolean;
}

/**
 * A bus that ends broadcast subscriptions the way the contract says a driver ends one that fell
 * behind its bound: `stall(channel)` makes the channel's current subscriptions stop delivering
 * (what a driver queues for a slow subscriber), `expire(channel)` ends them and calls `onError`
 * once with a `position_expired` BusError. Messages they handled before are a gap-free prefix,
 * so resuming `from` the last one handled loses nothing while the inner bus still keeps the rest.
 */
export class ExpiringBus implements MessageBus {
  readonly driver: string;
  readonly features: MessageBus['features'];
  readonly limits: MessageBus['limits'];
  private readonly live = new Set<Tracked>();
  /** Subscriptions made, `from` a position or not, in order: what a test checks the resume by. */
  readonly subscribes: { channel: string; from: string | undefined }[] = [];
  private readonly withoutReplay: boolean;

  constructor(
    private readonly inner: MessageBus,
    /**
     * `unordered`: declare no `orderedPerChannel`, so a since-client's replay stays its whole stream (no handover).
     * `withoutReplay`: declare no `replay` and give subscriptions no `startPosition`, as a bus without positions to resume from.
     */
    options: { readonly unordered?: boolean; readonly withoutReplay?: boolean } = {},
  ) {
    this.driver = inner.driver;
    const dropped = new Set([...(options.unordered === true ? ['orderedPerChannel'] : []), ...(options.withoutReplay === true ? ['replay'] : [])]);
    this.features = new Set([...inner.features].filter((feature) => !dropped.has(feature)));
    this.withoutReplay = options.withoutReplay === true;
    this.limits = inner.limits;
  }

  publish(...args: Parameters<MessageBus['publish']>): ReturnType<MessageBus['publish']> {
    return this.inner.publish(...args);
  }

  async subscribe<T = unknown>(channel: string, handler: (message: Message<T>) => void | Promise<void>, options: SubscribeOptions = {}): Promise<Subscription> {
    const tracked: Tracked = { channel, onError: options.onError, inner: undefined, stalled: false, ended: false };
    this.subscribes.push({ channel, from: options.from });
    const inner = await this.inner.subscribe<T>(
      channel,
      (message) => (tracked.stalled || tracked.ended ? undefined : handler(message)),
      options,
    );
    tracked.inner = inner;
    if (inner.mode === 'broadcast') this.live.add(tracked);
    return {
      channel: inner.channel,
      mode: inner.mode,
      replay: inner.replay,
      ...(this.withoutReplay ? {} : { startPosition: inner.startPosition }),
      unsubscribe: async () => {
        if (tracked.ended) return;
        tracked.ended = true;
        this.live.delete(tracked);
        await inner.unsubscribe();
      },
    };
  }

  /** The channel's live broadcast subscriptions stop delivering, as if their handlers lagged. */
  stall(channel: string): void {
    for (const tracked of this.live) if (tracked.channel === channel) tracked.stalled = true;
  }

  /** Ends the channel's live broadcast subscriptions with `position_expired`; resolves with how many. */
  async expire(channel: string): Promise<number> {
    const ended = [...this.live].filter((tracked) => tracked.channel === channel);
    for (const tracked of ended) {
      tracked.ended = true;
      this.live.delete(tracked);
      await tracked.inner?.unsubscribe();
      tracked.onError?.(new BusError('position_expired', `the subscription to "${channel}" fell behind (test bound) and was ended`, { retryable: true }));
    }
    return ended.length;
  }

  status(): ReturnType<MessageBus['status']> {
    return this.inner.status();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
