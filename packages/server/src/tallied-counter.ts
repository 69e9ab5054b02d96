import { Counter, type CounterConfiguration } from 'prom-client';

/**
 * A label-less counter for hot paths: `add` bumps a plain number, and the total reaches
 * prom-client when the counter is read (a scrape or `get()`). prom-client's own `inc` costs
 * more than writing a small frame, and these count every frame.
 */
export class TalliedCounter extends Counter {
  private pending = 0;

  constructor(configuration: Omit<CounterConfiguration<string>, 'collect' | 'labelNames'>) {
    super({
      ...configuration,
      collect(this: Counter) {
        (this as TalliedCounter).settle();
      },
    });
  }

  add(count = 1): void {
    this.pending += count;
  }

  private settle(): void {
    if (this.pending === 0) return;
    this.inc(this.pending);
    this.pending = 0;
  }
}
