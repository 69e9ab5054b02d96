import type { BusLogger } from '@app/core';

/** Options of {@link createMemoryBus}. Every field is optional. */
export interface MemoryBusOptions {
  /** Messages kept per channel for replay with `from`, 1 to 1000000. Default: 1000. */
  readonly historyPerChannel?: number;
  /** Messages kept across all channels; the oldest go first. 1 to 10000000. Default: 100000. */
  readonly historyTotal?: number;
  /** Largest accepted message in bytes (JSON data plus headers), 1024 to 67108864. Default: 1048576 (1 MiB). */
  readonly maxPayloadBytes?: number;
  /**
   * Messages waiting for one subscription's handler. A broadcast subscription that falls further
   * behind is ended with a `position_expired` error through `onError` (nothing is skipped: resume
   * with `from` = the last position handled). A group message no member can take waits for the
   * group; while this many wait, publishes on the channel are refused with a retryable
   * `overloaded` (nothing is dropped). Default: 10000.
   */
  readonly maxPendingPerSubscription?: number;
  /** Pause before a failed group message is handed out again, in ms. Default: 50. */
  readonly redeliveryDelayMs?: number;
  /**
   * How long `close()` lets queued deliveries finish before dropping them, and how long `close()`
   * and `unsubscribe()` wait for a handler still running before abandoning it, in ms. Default: 5000.
   */
  readonly closeTimeoutMs?: number;
  /** Where driver warnings go. Default: a logger that drops everything. */
  readonly logger?: BusLogger;
}

export type ResolvedMemoryBusOptions = Required<MemoryBusOptions>;
