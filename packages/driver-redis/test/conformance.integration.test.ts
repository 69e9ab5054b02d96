import { runConformanceSuite } from '@app/core/testing';
import { inject } from 'vitest';
import { deleteKeys, readyBus, uniquePrefix } from './support/test-bus.js';

const url = inject('redisUrl');
// Buses of one test must share keys (crossInstance), so the prefix is per run, not per bus.
const runPrefix = uniquePrefix('conformance');

runConformanceSuite({
  name: 'redis',
  // `persistent` is the operator's call (RedisBusOptions.persistent); the local Redis keeps nothing on disk.
  features: ['crossInstance', 'orderedPerChannel', 'replay', 'groups'],
  setup: async () => {
    const bus = await readyBus({ url, keyPrefix: runPrefix, retryDelayMs: 20 });
    // Tests run one after another and every bus of the test is closed before cleanup runs.
    return { bus, cleanup: () => deleteKeys(url, runPrefix) };
  },
});
