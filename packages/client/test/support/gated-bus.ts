import type { MessageBus, PublishReceipt } from '@app/core';

/** A bus whose publish acks can be held back: the message is stored and delivered, only the answer waits. */
export interface GatedBus {
  readonly bus: MessageBus;
  /** From now on, publishes are stored at once but answered only at `release()`. */
  hold(): void;
  /** Answers the held publishes and stops holding. */
  release(): void;
  /** Publishes stored and not yet answered. */
  readonly held: number;
}

/** Wraps a bus so a test can lose a publish's ack: store, then drop the connection before the answer. */
export function gatedBus(inner: MessageBus): GatedBus {
  let holding = false;
  let waiting: (() => void)[] = [];
  const bus: MessageBus = {
    driver: inner.driver,
    features: inner.features,
    limits: inner.limits,
    publish: async (channel, data, options): Promise<PublishReceipt> => {
      const receipt = await inner.publish(channel, data, options);
      if (holding) await new Promise<void>((resolve) => waiting.push(resolve));
      return receipt;
    },
    subscribe: (channel, handler, options) => inner.subscribe(channel, handler, options),
    status: () => inner.status(),
    close: () => inner.close(),
  };
  return {
    bus,
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const resolve of waiting.splice(0)) resolve();
      waiting = [];
    },
    get held() {
      return waiting.length;
    },
  };
}
