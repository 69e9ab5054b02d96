import type { Message } from '@app/core';
import { asError, Subscriber } from './subscriber.js';

/** How the reader hears that a paused subscription can take messages again. */
export interface ReaderHooks {
  remove(subscription: BroadcastSubscription): void;
  wake(): void;
}

/**
 * A broadcast subscriber. It remembers the id of the last entry it was given, so the reader
 * reads its channel from the smallest such id and nothing is skipped or handed over twice.
 */
export class BroadcastSubscription extends Subscriber {
  readonly mode = 'broadcast' as const;
  /** Id of the last entry queued for (or skipped by) this subscription. */
  lastId = '0-0';
  /** True while the queue is full: the reader leaves it out until it drained to half. */
  paused = false;
  private reader: ReaderHooks | undefined;

  /** Starts taking messages after `afterId`. */
  attach(reader: ReaderHooks, afterId: string): void {
    this.reader = reader;
    this.lastId = afterId;
  }

  /** Queues a message; false when the queue is full or the subscription ended. */
  offer(message: Message): boolean {
    return !this.detached && this.queue.push(message);
  }

  protected async handle(message: Message): Promise<void> {
    if (this.ended) return;
    try {
      await this.handler(message);
    } catch (error) {
      this.reportError(asError(error), message);
    }
    if (this.paused && this.queue.size <= this.maxPending / 2) {
      this.paused = false;
      this.reader?.wake();
    }
  }

  protected detach(): void {
    this.reader?.remove(this);
  }
}
