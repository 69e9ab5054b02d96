import { defineBusDriver, silentLogger, type MessageBus } from '@app/core';
import { MemoryBus } from './memory-bus.js';
import type { MemoryBusOptions } from './options.js';
import { MEMORY_SETTINGS } from './settings.js';

export type { MemoryBusOptions } from './options.js';

/**
 * Creates an in-process bus: the reference driver, for development, tests and single-instance
 * deployments. It declares `orderedPerChannel`, `replay` (from a bounded history) and `groups`;
 * it does not cross processes and keeps nothing across restarts. Throws `BusError`
 * `invalid_options` for a bad option (ranges: `MEMORY_SETTINGS`, as for the variables).
 */
export function createMemoryBus(options: MemoryBusOptions = {}): MessageBus {
  // A BusError (invalid_options) for a bad option, like every other factory's.
  return new MemoryBus({ ...MEMORY_SETTINGS.resolve(options, 'createMemoryBus'), logger: options.logger ?? silentLogger });
}

/** `BUS=memory`. */
export const driver = defineBusDriver({
  name: 'memory',
  settings: MEMORY_SETTINGS.settings,
  create: (env, { logger }) => createMemoryBus({ ...MEMORY_SETTINGS.fromEnv(env), logger }),
});
