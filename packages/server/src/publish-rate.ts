/** `PUBLISH_RATE_PER_CONNECTION` and `PUBLISH_BURST_PER_CONNECTION`, as the server config holds them. */
export interface PublishRateSettings {
  /** Publishes per second a connection earns; 0 turns the limit off. */
  readonly ratePerSecond: number;
  /** Most publishes a connection may send at once, after being quiet. */
  readonly burst: number;
}

/** `allowed`; `limited`: answer `rate_limited`; `flooding`: the client ignores the refusals, close it. */
export type RateVerdict = 'allowed' | 'limited' | 'flooding';

/**
 * One connection's publish budget: a token bucket of `burst` publishes refilled at `ratePerSecond`.
 * Refusals fill a second bucket of the same size, drained at the same rate: a client that goes on
 * sending after `rate_limited` for another `burst` publishes is flooding. A client that backs off
 * is forgiven at the rate it earns publishes, so honest bursts never add up to a close.
 */
export class PublishRate {
  private tokens: number;
  private refusals = 0;
  private last: number;

  constructor(
    private readonly settings: PublishRateSettings,
    now: number = Date.now(),
  ) {
    this.tokens = settings.burst;
    this.last = now;
  }

  take(now: number = Date.now()): RateVerdict {
    const elapsed = now - this.last;
    if (elapsed > 0) {
      const earned = (elapsed * this.settings.ratePerSecond) / 1000;
      this.tokens = Math.min(this.settings.burst, this.tokens + earned);
      this.refusals = Math.max(0, this.refusals - earned);
      this.last = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 'allowed';
    }
    this.refusals += 1;
    return this.refusals > this.settings.burst ? 'flooding' : 'limited';
  }
}
