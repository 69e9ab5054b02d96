import type { Clock } from '../../src/index.js';

interface Timer {
  readonly due: number;
  readonly callback: () => void;
}

/** A clock that moves only when the test says so, swapped in under `tokens.CLOCK`: expiry without waiting. */
export class ManualClock implements Clock {
  private current = Date.now();
  private timers = new Set<Timer>();

  now(): number {
    return this.current;
  }

  schedule(delayMs: number, callback: () => void): () => void {
    const timer: Timer = { due: this.current + Math.max(delayMs, 0), callback };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  /** Moves time on by `ms` and runs every call that became due, earliest first (also ones scheduled meanwhile). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = [...this.timers].filter((timer) => timer.due <= target).sort((a, b) => a.due - b.due)[0];
      if (next === undefined) break;
      this.timers.delete(next);
      this.current = Math.max(this.current, next.due);
      next.callback();
    }
    this.current = target;
  }
}
