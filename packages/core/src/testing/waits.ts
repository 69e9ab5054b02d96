import { settle } from './harness.js';

/** A promise a test holds handlers on until it lets them go; see {@link blockingGate}. */
export interface BlockingGate {
  /** Pending until `release()`; resolved (never rejected) after, so later awaits return at once. */
  readonly wait: Promise<void>;
  /** Lets every holder of `wait` go on. Calling it again does nothing. */
  release(): void;
}

/**
 * A gate for a slow or stuck handler: `await gate.wait` inside the handler holds it until the
 * test calls `gate.release()`.
 *
 * ```ts
 * const gate = blockingGate();
 * await bus.subscribe(channel, async () => { await gate.wait; });
 * // ...publish past the bound...
 * gate.release();
 * ```
 */
export function blockingGate(): BlockingGate {
  let release: () => void = () => {};
  const wait = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { wait, release: () => release() };
}

/**
 * Awaits `work`, failing when it takes longer than `limitMs`: for what the contract bounds, such
 * as `close()` with a stuck handler. Resolves with how long it took in ms; rejects with
 * `<what> did not resolve within <limitMs> ms`, or with `work`'s own rejection. The timer is
 * cleared either way.
 */
export async function within(work: Promise<unknown>, limitMs: number, what: string): Promise<number> {
  const begun = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not resolve within ${limitMs} ms`)), limitMs);
  });
  try {
    await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
  return Date.now() - begun;
}

/**
 * Polls `done` every 10 ms until it returns true. Rejects with `timed out after <timeoutMs> ms
 * waiting for <what>` past `timeoutMs`; an exception from `done` rejects at once.
 */
export async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await settle(10);
  }
}
