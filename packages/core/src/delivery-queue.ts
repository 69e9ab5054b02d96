import { describeError } from './errors.js';

/** What a queue does with an item whose consumer threw or rejected. */
export type ConsumerFailure<T> = (error: unknown, item: T) => void;

/**
 * A visible default that cannot crash the process: a consumer failure is the driver's bug, and an
 * unhandled rejection would take every other subscription of the process down with it.
 */
function warnConsumerFailed(error: unknown): void {
  process.emitWarning(`a DeliveryQueue consumer failed: ${describeError(error)}`, { type: 'DeliveryQueueWarning' });
}

/**
 * A bounded FIFO that hands items to a consumer one at a time, waiting for the promise a consumer
 * returns before the next item (a consumer that finishes synchronously costs no promise, nor does
 * the queue). Drivers use it so that handler calls of one subscription never overlap and a slow
 * handler cannot grow memory without bound: past `limit` waiting items, `push` refuses and the
 * driver decides what that means. A consumer that throws or rejects fails its item only: the
 * failure goes to `onFailure` and the queue goes on with the next item.
 */
export class DeliveryQueue<T> {
  private readonly items: T[] = [];
  private head = 0;
  /** The asynchronous rest of the loop, while a consumer's promise is awaited. */
  private running: Promise<void> | undefined;
  private looping = false;
  private stopped = false;

  constructor(
    private readonly consume: (item: T) => Promise<void> | void,
    private readonly limit: number,
    private readonly onFailure: ConsumerFailure<T> = warnConsumerFailed,
  ) {}

  /** Items waiting, not counting the one being consumed. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Queues an item; false when the queue is full or stopped (the item is not taken). */
  push(item: T): boolean {
    if (this.stopped || this.size >= this.limit) return false;
    this.items.push(item);
    // While a loop runs, it takes this item too (also one pushed from inside the consumer).
    if (!this.looping) this.pump();
    return true;
  }

  /** Resolves when nothing is waiting or running. Never rejects: failures go to `onFailure`. */
  async drained(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** Resolves when nothing is waiting or running, or after `timeoutMs`, whichever comes first. */
  async drainedWithin(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    try {
      await Promise.race([this.drained(), timeout]);
    } finally {
      // A pending timer would keep the process alive for up to `timeoutMs` after a shutdown.
      clearTimeout(timer);
    }
  }

  /** Takes no more items, drops those waiting, and resolves when the running one is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.items.length = 0;
    this.head = 0;
    await this.drained();
  }

  /**
   * Consumes items synchronously until the queue is empty or a consumer returns a promise; the
   * rest of the loop then runs once that promise settles (`running`).
   */
  private pump(): void {
    this.looping = true;
    while (this.head < this.items.length) {
      const item = this.take();
      let pending: Promise<void> | void;
      try {
        pending = this.consume(item);
      } catch (error) {
        this.fail(error, item);
        continue;
      }
      if (pending !== undefined) {
        this.running = this.resumeAfter(pending, item);
        return;
      }
    }
    this.items.length = 0;
    this.head = 0;
    this.looping = false;
  }

  private async resumeAfter(pending: Promise<void>, item: T): Promise<void> {
    try {
      await pending;
    } catch (error) {
      this.fail(error, item);
    }
    // Cleared first: pump sets it again if another consumer returns a promise.
    this.running = undefined;
    this.pump();
  }

  private take(): T {
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined as T;
    this.head += 1;
    // Compact now and then so a long-lived queue does not keep a growing array.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }

  private fail(error: unknown, item: T): void {
    try {
      this.onFailure(error, item);
    } catch (reportError) {
      // The loop must survive its own reporting.
      warnConsumerFailed(reportError);
    }
  }
}
