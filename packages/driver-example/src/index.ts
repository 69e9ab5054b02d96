import { defineBusDriver, silentLogger, type BusLogger, type MessageBus } from '@app/core';
import { ExampleBus } from './example-bus.js';
import { EXAMPLE_SETTINGS } from './settings.js';

/** Options of {@link createExampleBus}. Every field is optional. */
export interface ExampleBusOptions {
  /**
   * Messages kept per channel for replay with `from`, 1 to 100000. A replay from before the oldest
   * one kept starts there and reports `replay: 'truncated'`. Default: 100.
   */
  readonly historyPerChannel?: number;
  /** Largest accepted message in bytes (JSON data plus headers), 1024 to 16777216. Default: 1048576 (1 MiB). */
  readonly maxPayloadBytes?: number;
  /**
   * Messages that may wait for one subscription's handler, at least 1. A subscriber further behind
   * is ended: `onError` gets a retryable `position_expired` BusError, and it resumes with
   * `from` = the position of the last message it handled. A replay's backlog counts too, so keep
   * it above `historyPerChannel`. Default: 1000.
   */
  readonly maxPendingPerSubscription?: number;
  /** How long `close()` and `unsubscribe()` wait for a running handler before abandoning it, in ms, 0 to 60000. Default: 5000. */
  readonly closeTimeoutMs?: number;
  /** Where the bus's warnings go. Default: nowhere. */
  readonly logger?: BusLogger;
}

/**
 * Creates an in-process bus: the smallest honest driver, for reading and for tests. It declares
 * `orderedPerChannel` and `replay` (bounded history, kept for every channel ever published to),
 * nothing more: its buses do not see each other, nothing survives the process, and
 * `mode: 'group'` is refused with `unsupported`. Throws `BusError` `invalid_options` for an
 * option out of range.
 */
export function createExampleBus(options: ExampleBusOptions = {}): MessageBus {
  return new ExampleBus(EXAMPLE_SETTINGS.resolve(options, 'createExampleBus'), options.logger ?? silentLogger);
}

/**
 * `BUS=@app/driver-example`: reads `EXAMPLE_HISTORY_PER_CHANNEL` and `EXAMPLE_MAX_PAYLOAD_BYTES`;
 * a bad value throws `BusError` `config` naming the variable.
 */
export const driver = defineBusDriver({
  name: 'example',
  settings: EXAMPLE_SETTINGS.settings,
  create: (env, { logger }) => createExampleBus({ ...EXAMPLE_SETTINGS.fromEnv(env), logger }),
});
