/**
 * The wait before reconnect attempt `attempt` (0 for the first): exponential with full jitter,
 * a random delay in [0, min(maxMs, baseMs * 2^attempt)). Full jitter spreads the clients of an
 * instance that went down over the whole window, instead of bringing them back in waves.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.floor(Math.random() * Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30)));
}
