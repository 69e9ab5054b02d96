import { BusError, DEFAULT_MAX_PAYLOAD_BYTES, defineBusDriver, envInt, silentLogger, type MessageBus } from '@app/core';
import { MemoryBus } from './memory-bus.js';
import type { MemoryBusOptions } from './options.js';

export type { MemoryBusOptions } from './options.js';

/**
 * Creates an in-process bus: the reference driver, for development, tests and single-instance
 * deployments. It declares `orderedPerChannel`, `replay` (from a bounded history) and `groups`;
 * it does not cross processes and keeps nothing across restarts.
 */
export function createMemoryBus(options: MemoryBusOptions = {}): MessageBus {
  const positive = (value: number | undefined, fallback: number, name: string): number => {
    const result = value ?? fallback;
    if (!Number.isSafeInteger(result) || result < 0) {
      // A BusError like every other factory's, so callers branch on one type.
      throw new BusError('invalid_options', `createMemoryBus: ${name} must be a whole number of 0 or more, got ${String(value)}`);
    }
    return result;
  };
  return new MemoryBus({
    historyPerChannel: positive(options.historyPerChannel, 1000, 'historyPerChannel'),
    historyTotal: positive(options.historyTotal, 100_000, 'historyTotal'),
    maxPayloadBytes: positive(options.maxPayloadBytes, DEFAULT_MAX_PAYLOAD_BYTES, 'maxPayloadBytes'),
    maxPendingPerSubscription: positive(options.maxPendingPerSubscription, 10_000, 'maxPendingPerSubscription'),
    redeliveryDelayMs: positive(options.redeliveryDelayMs, 50, 'redeliveryDelayMs'),
    closeTimeoutMs: positive(options.closeTimeoutMs, 5000, 'closeTimeoutMs'),
    logger: options.logger ?? silentLogger,
  });
}

/** `BUS=memory`. */
export const driver = defineBusDriver({
  name: 'memory',
  settings: [
    { env: 'MEMORY_HISTORY_PER_CHANNEL', default: '1000', description: 'Messages kept per channel for replay.' },
    { env: 'MEMORY_HISTORY_TOTAL', default: '100000', description: 'Messages kept across all channels.' },
    { env: 'MEMORY_MAX_PAYLOAD_BYTES', default: String(DEFAULT_MAX_PAYLOAD_BYTES), description: 'Largest accepted message in bytes.' },
  ],
  create(env, { logger }) {
    return createMemoryBus({
      historyPerChannel: envInt(env, 'MEMORY_HISTORY_PER_CHANNEL', 1000, { min: 1, max: 1_000_000 }),
      historyTotal: envInt(env, 'MEMORY_HISTORY_TOTAL', 100_000, { min: 1, max: 10_000_000 }),
      maxPayloadBytes: envInt(env, 'MEMORY_MAX_PAYLOAD_BYTES', DEFAULT_MAX_PAYLOAD_BYTES, { min: 1024, max: 64 * 1024 * 1024 }),
      logger,
    });
  },
});
