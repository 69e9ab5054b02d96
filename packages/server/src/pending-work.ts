import type WebSocket from 'ws';

/**
 * A connection's frames in progress: the frame handler later frames must wait for, and the count
 * of handlers and publishes not yet answered. Past `limit` the socket stops being read until half
 * of them are done, so TCP pushes back on a client that sends faster than it is served.
 */
export class PendingWork {
  /** The frame handler running or waiting, if any; frames that arrive meanwhile queue behind it. */
  private queue: Promise<void> | undefined;
  private count = 0;
  private paused = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly limit: number,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /** True when no frame handler is running or waiting: the next frame may be handled at once. */
  get idle(): boolean {
    return this.queue === undefined;
  }

  /** Runs `task` after the handlers already queued, never letting its failure escape. */
  enqueue(task: () => Promise<void> | undefined): void {
    this.chain((this.queue ?? Promise.resolve()).then(task));
  }

  /** Makes `work` the handler later frames queue behind. */
  chain(work: Promise<void>): void {
    const queued: Promise<void> = work.then(
      () => this.dequeue(queued),
      (error: unknown) => {
        this.onFailure(error);
        this.dequeue(queued);
      },
    );
    this.queue = queued;
    this.began();
  }

  /** One more handler or publish in progress. */
  began(): void {
    this.count += 1;
    if (!this.paused && this.count >= this.limit) {
      this.paused = true;
      this.socket.pause();
    }
  }

  /** One handler or publish done. */
  settled(): void {
    this.count -= 1;
    if (this.paused && this.count <= this.limit / 2) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private dequeue(queued: Promise<void>): void {
    if (this.queue === queued) this.queue = undefined;
    this.settled();
  }
}
