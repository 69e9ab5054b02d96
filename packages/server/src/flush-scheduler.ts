/** Something holding written-but-corked bytes that a scheduler releases in one write. */
export interface Flushable {
  flush(): void;
}

/**
 * Releases the sockets that held frames, all at once: at the end of the current tick
 * (`windowMs` 0) or `windowMs` after the first frame was held. One scheduler serves every socket
 * of a server, so holding a frame costs an array push rather than a timer or a nextTick per socket.
 */
export class FlushScheduler {
  private due: Flushable[] = [];
  private armed = false;

  constructor(readonly windowMs: number) {}

  /** Flushes `target` with the next batch. The caller keeps it from being added twice per batch. */
  schedule(target: Flushable): void {
    this.due.push(target);
    if (this.armed) return;
    this.armed = true;
    if (this.windowMs === 0) process.nextTick(this.afterTicks);
    else setTimeout(this.run, this.windowMs);
  }

  /**
   * The end of the tick is after the microtasks queued in it, not before: the ack of a publish
   * comes in a promise reaction queued while the frame was handled, after the message frames it
   * caused were held. Releasing from this nextTick would write the publisher's own message and its
   * ack in two syscalls; one microtask later (behind that reaction) they leave in one.
   */
  private readonly afterTicks = (): void => {
    queueMicrotask(this.run);
  };

  private readonly run = (): void => {
    this.armed = false;
    const batch = this.due;
    this.due = [];
    for (const target of batch) target.flush();
  };
}
