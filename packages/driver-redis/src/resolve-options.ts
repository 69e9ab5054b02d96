import { silentLogger } from '@app/core';
import type { RedisBusOptions, ResolvedRedisBusOptions } from './options.js';
import { REDIS_SETTINGS } from './settings.js';

/** Applies defaults and checks every option; a bad one is a `BusError` with reason `invalid_options`. */
export function resolveOptions(options: RedisBusOptions): ResolvedRedisBusOptions {
  return { ...REDIS_SETTINGS.resolve(options, 'createRedisBus'), logger: options.logger ?? silentLogger };
}
