import type { Message } from '@app/core';
import type { LocalSubscription } from './local-subscription.js';

/**
 * The broadcast subscriptions of every channel. A channel with one subscription holds it
 * directly, and a Set only from the second on: a server subscribes once per channel it serves, so
 * nearly every channel has exactly one, and a Set per channel would be most of its cost.
 */
export class BroadcastSubscribers {
  private readonly channels = new Map<string, LocalSubscription | Set<LocalSubscription>>();

  add(subscription: LocalSubscription): void {
    const { channel } = subscription;
    const current = this.channels.get(channel);
    if (current === undefined) this.channels.set(channel, subscription);
    else if (current instanceof Set) current.add(subscription);
    else this.channels.set(channel, new Set([current, subscription]));
  }

  remove(subscription: LocalSubscription): void {
    const { channel } = subscription;
    const current = this.channels.get(channel);
    if (current === subscription) {
      this.channels.delete(channel);
    } else if (current instanceof Set && current.delete(subscription)) {
      // Back to one: a fan-out walking the Set right now still finishes on it.
      if (current.size === 1) this.channels.set(channel, current.values().next().value as LocalSubscription);
    }
  }

  /** Offers `message` to every broadcast subscription of its channel, in subscription order. */
  offer(message: Message): void {
    const current = this.channels.get(message.channel);
    if (current === undefined) return;
    if (current instanceof Set) for (const subscription of current) subscription.offer(message);
    else current.offer(message);
  }
}
