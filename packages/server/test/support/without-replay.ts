import { BusError, type MessageBus } from '@app/core';

/** Wraps a bus so that it behaves like a driver without the `replay` feature. */
export function withoutReplay(inner: MessageBus): MessageBus {
  const features = new Set([...inner.features].filter((feature) => feature !== 'replay'));
  return {
    driver: `${inner.driver}-without-replay`,
    features,
    limits: inner.limits,
    publish: (channel, data, options) => inner.publish(channel, data, options),
    subscribe: async (channel, handler, options) => {
      if (options?.from !== undefined) throw new BusError('unsupported', 'this bus cannot replay from a position (feature "replay")');
      // Without replay there is no position to resume from, so no startPosition either.
      const subscription = await inner.subscribe(channel, handler, options);
      return { channel: subscription.channel, mode: subscription.mode, replay: subscription.replay, unsubscribe: () => subscription.unsubscribe() };
    },
    status: () => inner.status(),
    close: () => inner.close(),
  };
}
