import type { Logger } from 'pino';

/**
 * Logs at `warn` at most once per interval and at `debug` in between, with the number left out:
 * a bus that goes down, or a stream of bad presence messages, must not flood the logs.
 */
export class LogThrottle {
  private last = Number.NEGATIVE_INFINITY;
  private skipped = 0;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  warn(fields: Record<string, unknown>, message: string): void {
    const now = Date.now();
    if (now - this.last < this.intervalMs) {
      this.skipped += 1;
      this.logger.debug(fields, message);
      return;
    }
    this.last = now;
    const skipped = this.skipped;
    this.skipped = 0;
    this.logger.warn(skipped === 0 ? fields : { ...fields, alsoSince: skipped }, message);
  }
}
