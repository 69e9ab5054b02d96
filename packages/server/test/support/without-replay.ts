import { BusError, type MessageBus } from '@app/core';

/** Wraps a bus so that it behaves like a driver without the `replay` feature. */
export function withoutReplay(inner: MessageBus): MessageBus {
  const features = new Set([...inner.features].filter((feature) => feature !== 'replay'));
  return {
    driver: `${inner.driver}-without-replay`,
    features,
    limits: inner.limits,
    publish: (channel, data, options) => inner.publish(channel, data, options),
    subscribe: (channel, handler, options) =>
      options?.from === undefined
        ? inner.subscribe(channel, handler, options)
        : Promise.reject(new BusError('unsupported', 'this bus cannot replay from a position (feature "replay")')),
    status: () => inner.status(),
    close: () => inner.close(),
  };
}
