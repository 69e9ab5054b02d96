import type { Admin } from 'kafkajs';
import { mapKafkaError } from './map-error.js';
import type { StatusTracker } from './status-tracker.js';
import { withTimeout } from '@app/core';

/** Sources that learn about a recovered cluster only when they next try; the probe clears them. */
const CLEARED_BY_PROBE = ['probe', 'producer'];

/**
 * Asks the cluster for its brokers every interval, so the status follows the broker even when
 * no publish or fetch is going on. Uses its own admin client with no retries: one quick
 * question, one answer.
 */
export class HealthProbe {
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  private stopped = false;

  constructor(
    private readonly admin: Admin,
    private readonly intervalMs: number,
    private readonly status: StatusTracker,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.probe(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.admin.disconnect().catch(() => {});
  }

  private async probe(): Promise<void> {
    if (this.probing || this.stopped) return;
    this.probing = true;
    try {
      await withTimeout(this.admin.describeCluster(), Math.max(this.intervalMs, 1000), 'the Kafka cluster to answer a health check');
      if (!this.stopped) this.status.markClusterReachable(CLEARED_BY_PROBE);
    } catch (error) {
      if (!this.stopped) this.status.markDown('probe', mapKafkaError(error, 'health check').message);
    } finally {
      this.probing = false;
    }
  }
}
