import { performance } from 'node:perf_hooks';

/** Sends are checked this often; each check makes every send that has come due. */
const TICK_MS = 1;

/**
 * Calls `send(index)` for indexes 0 to `total - 1`, send `i` at `start + i * intervalMs`: a
 * steady rate, spread evenly rather than in bursts per second. `afterTick` runs after each
 * check's sends (a batching sender flushes there). Resolves with how far behind its schedule a
 * send went at worst, which says when the load generator itself was saturated.
 */
export async function sendOnSchedule(
  total: number,
  intervalMs: number,
  start: number,
  send: (index: number) => void,
  afterTick: () => void = () => {},
): Promise<{ maxLagMs: number }> {
  let sent = 0;
  let maxLagMs = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      while (sent < total && start + sent * intervalMs <= now) {
        maxLagMs = Math.max(maxLagMs, now - (start + sent * intervalMs));
        send(sent);
        sent += 1;
      }
      afterTick();
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  return { maxLagMs };
}
