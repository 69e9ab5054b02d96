import { BusError } from '@app/core';
import type { PartitionQueue, PendingPublish } from './partition-queue.js';

/** What the deadline timer looks at and tells: the publisher's queues and requests in flight. */
export interface DeadlineHost {
  /** Queues of publishes not sent yet. */
  waiting(): Iterable<PartitionQueue>;
  /** Publishes of the produce requests on their way. */
  sending(): Iterable<readonly PendingPublish[]>;
  /** Settles a publish that ran out of time. */
  timedOut(pending: PendingPublish, error: BusError): void;
  /** Bytes of timed-out publishes taken off the queues. */
  dropped(bytes: number): void;
  /** A round of timeouts is done (to wake those waiting for idle). */
  expired(): void;
  /** Why Kafka's last attempt failed, if it is failing: named in the timeout's message. */
  cause(): string | undefined;
}

/**
 * One timer for every publish's timeout instead of one `setTimeout` per publish: it fires at
 * the earliest deadline of all unsettled publishes (queues are in deadline order, so only their
 * fronts count), settles what is due and re-arms.
 */
export class PublishDeadlines {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly publishTimeoutMs: number,
    private readonly host: DeadlineHost,
  ) {}

  /** Arms the timer unless it is running; call after queueing a publish. */
  ensure(): void {
    this.timer ??= this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): NodeJS.Timeout | undefined {
    let earliest = Number.POSITIVE_INFINITY;
    for (const queue of this.host.waiting()) {
      const first = queue.first;
      if (first !== undefined && !first.settled) earliest = Math.min(earliest, first.deadline);
    }
    for (const batch of this.host.sending()) {
      for (const pending of batch) if (!pending.settled) earliest = Math.min(earliest, pending.deadline);
    }
    if (earliest === Number.POSITIVE_INFINITY) return undefined;
    // Unref'd: an open producer connection keeps the process alive while publishes wait anyway.
    return setTimeout(() => this.expire(), Math.max(0, earliest - Date.now())).unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = Date.now();
    const cause = this.host.cause();
    // No failure seen yet means Kafka has not answered at all: say so, it is the cause (a leader
    // whose in-sync replicas just died waits for them until its own request timeout).
    const why = cause === undefined ? '; timed out with no answer from the partition leader yet' : `; Kafka kept failing: ${cause}`;
    const timedOut = (pending: PendingPublish): BusError =>
      new BusError('timeout', `publish to "${pending.channel}": no acknowledgement from Kafka within ${this.publishTimeoutMs} ms (the message may still have been written)${why}`);
    for (const queue of this.host.waiting()) {
      for (let first = queue.first; first !== undefined && (first.settled || first.deadline <= now); first = queue.first) {
        // A publish that timed out while queued is not sent late: its caller was told it failed.
        this.host.timedOut(first, timedOut(first));
        this.host.dropped(queue.dropSettled());
      }
    }
    for (const batch of this.host.sending()) {
      for (const pending of batch) if (pending.deadline <= now) this.host.timedOut(pending, timedOut(pending));
    }
    this.timer = this.arm();
    this.host.expired();
  }
}
