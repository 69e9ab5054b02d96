import type { RetryOptions } from 'kafkajs';

/** First pause before kafkajs sends a failed produce request again, in ms. */
const FIRST_PAUSE_MS = 100;
/** Longest pause between two attempts, in ms: a new leader is found within a second of its election. */
const MAX_PAUSE_MS = 1000;

/**
 * Retry settings of the bus's producer: kafkajs's own retrier sends a failed produce request
 * again, pausing 100, 200, 400, 800 ms and then every second, for as many attempts as fit in
 * `publishTimeoutMs` less a second (so that kafkajs usually gives up, with the error that names
 * the cause, before the bus's own timeout does). A broker loss (connection refused or reset, `NOT_LEADER_FOR_PARTITION`,
 * `LEADER_NOT_AVAILABLE`, `REQUEST_TIMED_OUT`, `NOT_ENOUGH_REPLICAS`) thus costs latency while
 * a new leader is elected, not a refused publish.
 *
 * Why kafkajs's retrier and not a loop around `sendBatch`: it refreshes metadata before each
 * retry, resends only the partitions whose broker failed, and resends them with the same producer
 * id and sequence numbers, so a broker that already wrote a batch (its response was lost with
 * the dead leader) drops the copy instead of storing it twice. A new `sendBatch` could not know
 * which partitions of a request that went to several brokers had landed.
 */
export function producerRetry(publishTimeoutMs: number): RetryOptions {
  const budget = Math.max(FIRST_PAUSE_MS, publishTimeoutMs - MAX_PAUSE_MS);
  let retries = 0;
  for (let total = 0, pause = FIRST_PAUSE_MS; total < budget; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    total += pause;
    retries += 1;
  }
  return { retries, initialRetryTime: FIRST_PAUSE_MS, maxRetryTime: MAX_PAUSE_MS, multiplier: 2, factor: 0.2 };
}
