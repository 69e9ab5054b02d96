/**
 * The server's time: what it reads and waits on for token expiry, publish rates and presence
 * TTLs (which its real-time sweep compares against), so a test
 * can swap in a clock it moves by hand (registered under `tokens.CLOCK`) instead of waiting.
 */
export interface Clock {
  /** Milliseconds since the epoch, as `Date.now()`. */
  now(): number;
  /**
   * Calls `callback` once, after `delayMs` have passed on this clock (0 or less: as soon as
   * possible, never synchronously). The pending call does not keep the process alive. Returns a
   * function that cancels it; calling that after it ran, or twice, does nothing.
   */
  schedule(delayMs: number, callback: () => void): () => void;
}

/** setTimeout's longest delay (about 24.8 days); a later call is re-armed in steps. */
const MAX_TIMER_MS = 2_147_483_647;

/** Wall-clock time and Node timers: the default. */
export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(delayMs, callback) {
    let timer: NodeJS.Timeout;
    const due = Date.now() + delayMs;
    const arm = (): void => {
      const left = due - Date.now();
      timer = setTimeout(left > MAX_TIMER_MS ? arm : callback, Math.min(Math.max(left, 0), MAX_TIMER_MS));
      timer.unref();
    };
    arm();
    return () => clearTimeout(timer);
  },
};
