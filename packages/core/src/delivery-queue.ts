/**
 * A bounded FIFO that hands items to a consumer one at a time, waiting for the promise a consumer
 * returns before the next item (a consumer that finishes synchronously costs no promise). Drivers use it so that
 * handler calls of one subscription never overlap and a slow handler cannot grow memory without
 * bound: past `limit` waiting items, `push` refuses and the driver decides what that means.
 */
export class DeliveryQueue<T> {
  private readonly items: T[] = [];
  private head = 0;
  private running: Promise<void> | undefined;
  private looping = false;
  private stopped = false;

  constructor(
    private readonly consume: (item: T) => Promise<void> | void,
    private readonly limit: number,
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
    if (!this.looping) {
      const run = this.run();
      // A loop whose consumers all finished synchronously is over already.
      if (this.looping) this.running = run;
    }
    return true;
  }

  /** Resolves when nothing is waiting or running. */
  async drained(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** Resolves when nothing is waiting or running, or after `timeoutMs`, whichever comes first. */
  async drainedWithin(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.drained(), timeout]);
    clearTimeout(timer);
  }

  /** Takes no more items, drops those waiting, and resolves when the running one is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.items.length = 0;
    this.head = 0;
    await this.drained();
  }

  private async run(): Promise<void> {
    this.looping = true;
    try {
      while (this.head < this.items.length) {
        const item = this.items[this.head] as T;
        this.items[this.head] = undefined as T;
        this.head += 1;
        // Compact now and then so a long-lived queue does not keep a growing array.
        if (this.head > 1024 && this.head * 2 > this.items.length) {
          this.items.splice(0, this.head);
          this.head = 0;
        }
        const pending = this.consume(item);
        if (pending !== undefined) await pending;
      }
    } finally {
      this.items.length = 0;
      this.head = 0;
      this.running = undefined;
      this.looping = false;
    }
  }
}
