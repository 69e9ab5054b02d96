import type { BusLogger, BusStatus } from '@app/core';

/**
 * Derives the bus status from what its clients report. Each source (the producer, the health
 * probe, every consumer) marks itself down on a connection failure and up on the next sign of
 * life; the bus is `reconnecting` while any source is down.
 */
export class StatusTracker {
  private readonly down = new Map<string, string>();
  private started = false;
  private closed = false;

  constructor(private readonly logger: BusLogger) {}

  status(): BusStatus {
    if (this.closed) return 'closed';
    if (!this.started) return 'connecting';
    return this.down.size > 0 ? 'reconnecting' : 'ready';
  }

  markStarted(): void {
    this.started = true;
  }

  markClosed(): void {
    this.closed = true;
  }

  markDown(source: string, why: string): void {
    if (this.closed) return;
    const before = this.status();
    this.down.set(source, why);
    if (before === 'ready') this.logger.warn({ source, reason: why }, 'kafka bus lost the broker; reconnecting');
  }

  markUp(source: string): void {
    if (!this.down.delete(source) || this.closed) return;
    if (this.status() === 'ready') this.logger.info({ source }, 'kafka bus is connected again');
  }

  /** A source that goes away (a stopped consumer) no longer counts. */
  forget(source: string): void {
    this.markUp(source);
  }

  /** The health probe reached the cluster: sources that only learn by trying are cleared too. */
  markClusterReachable(sources: readonly string[]): void {
    for (const source of sources) this.markUp(source);
  }
}
