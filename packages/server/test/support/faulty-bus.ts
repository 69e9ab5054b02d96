import { BusError, type MessageBus, type MessageHandler, type SubscribeOptions, type Subscription } from '@app/core';

/** One publish the wrapped bus was asked for, in call order. */
export interface PublishCall {
  readonly channel: string;
  readonly data: unknown;
  /** False when {@link FaultyBus.failPublishes} made it fail. */
  readonly delivered: boolean;
  /** When it was asked for (Date.now()), to check how publishes are spread in real time. */
  readonly at: number;
}

/**
 * A real bus (the memory one in the presence tests) that records every publish and fails those
 * it is told to, as a bus that is briefly down would: `failPublishes(channel, n)` rejects the next
 * `n` publishes on `channel` with a retryable `not_connected`, without passing them on;
 * `refuseSubscribes(channel)` makes subscribes to `channel` reject the same way until
 * `allowSubscribes(channel)`; `muteDeliveries(channel)` swallows every message the subscriptions
 * made through this bus would receive on `channel` (they stay open and look live, as over a
 * pub/sub link that is silently down) until `unmuteDeliveries(channel)`. `failPublishes(channel,
 * Infinity)` fails them all until `failPublishes(channel, 0)`. Give each server its own FaultyBus
 * over one inner bus to fault one instance only. Everything else goes to the inner bus unchanged.
 */
export class FaultyBus implements MessageBus {
  readonly driver: string;
  readonly features: MessageBus['features'];
  readonly limits: MessageBus['limits'];
  readonly publishes: PublishCall[] = [];
  /** Channels of the subscribes that succeeded, in order. */
  readonly subscribed: string[] = [];
  private readonly open = new Map<string, number>();
  private readonly failing = new Map<string, number>();
  private readonly refused = new Set<string>();
  private readonly muted = new Set<string>();

  constructor(private readonly inner: MessageBus) {
    this.driver = inner.driver;
    this.features = inner.features;
    this.limits = inner.limits;
  }

  failPublishes(channel: string, count: number): void {
    this.failing.set(channel, count);
  }

  refuseSubscribes(channel: string): void {
    this.refused.add(channel);
  }

  allowSubscribes(channel: string): void {
    this.refused.delete(channel);
  }

  muteDeliveries(channel: string): void {
    this.muted.add(channel);
  }

  unmuteDeliveries(channel: string): void {
    this.muted.delete(channel);
  }

  /** The recorded publishes on `channel` (delivered or not) with data of `type`. */
  published(channel: string, type?: string): PublishCall[] {
    return this.publishes.filter((call) => call.channel === channel && (type === undefined || (call.data as { type?: unknown }).type === type));
  }

  publish(...args: Parameters<MessageBus['publish']>): ReturnType<MessageBus['publish']> {
    const [channel, data] = args;
    const left = this.failing.get(channel) ?? 0;
    this.publishes.push({ channel, data, delivered: left === 0, at: Date.now() });
    if (left === 0) return this.inner.publish(...args);
    this.failing.set(channel, left - 1);
    return Promise.reject(new BusError('not_connected', `test: publish on "${channel}" fails`, { retryable: true }));
  }

  async subscribe<T = unknown>(channel: string, handler: MessageHandler<T>, options?: SubscribeOptions): Promise<Subscription> {
    if (this.refused.has(channel)) throw new BusError('not_connected', `test: subscribe to "${channel}" refused`, { retryable: true });
    const deliver: MessageHandler<T> = (message) => (this.muted.has(channel) ? undefined : handler(message));
    const subscription = await this.inner.subscribe<T>(channel, deliver, options);
    this.subscribed.push(channel);
    this.open.set(channel, (this.open.get(channel) ?? 0) + 1);
    let ended = false;
    return {
      ...subscription,
      unsubscribe: async () => {
        if (!ended) this.open.set(channel, (this.open.get(channel) ?? 1) - 1);
        ended = true;
        await subscription.unsubscribe();
      },
    };
  }

  /** Subscriptions to `channel` made through this bus and not unsubscribed yet. */
  openSubscriptions(channel: string): number {
    return this.open.get(channel) ?? 0;
  }

  status(): ReturnType<MessageBus['status']> {
    return this.inner.status();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
