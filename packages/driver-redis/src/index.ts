import { defineBusDriver, type MessageBus } from '@app/core';
import type { RedisBusOptions } from './options.js';
import { RedisBus } from './redis-bus.js';
import { resolveOptions } from './resolve-options.js';
import { REDIS_SETTINGS } from './settings.js';

export type { RedisBusOptions } from './options.js';

/**
 * Creates a bus on Redis (ioredis): one stream per channel for history and replay, pub/sub for
 * live delivery to every instance, consumer groups for `mode: 'group'`, replay from stream ids.
 * It connects at once; `status()` is `connecting` until both connections are up, and
 * `publish`/`subscribe` wait for that first connection up to `connectTimeoutMs`. Throws
 * `invalid_options` for a bad option.
 */
export function createRedisBus(options: RedisBusOptions = {}): MessageBus {
  return new RedisBus(resolveOptions(options));
}

/** `BUS=redis`: settings from `REDIS_*` variables (only `REDIS_URL` is needed). */
export const driver = defineBusDriver({
  name: 'redis',
  settings: REDIS_SETTINGS.settings,
  create(env, { logger }) {
    return createRedisBus({ ...REDIS_SETTINGS.fromEnv(env), logger });
  },
});
