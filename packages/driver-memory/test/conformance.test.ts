import { runConformanceSuite } from '@app/core/testing';
import { createMemoryBus } from '@app/driver-memory';

runConformanceSuite({
  name: 'memory',
  setup: async () => ({ bus: createMemoryBus({ redeliveryDelayMs: 10, maxPendingPerSubscription: 50, closeTimeoutMs: 500 }) }),
  slowSubscriberBound: 50,
  closeTimeoutMs: 500,
  // The features come from bus.features; a memory bus has no backend to restart, cut off or trim from outside.
  withoutHooks: {
    restartBackend: 'no backend: the bus is its process',
    cutConnection: 'no backend connection to cut',
    truncateHistory: 'history is trimmed only by its own bounds (historyPerChannel, historyTotal), tested in test/memory-bus.test.ts',
  },
  timeoutMs: 5000,
});
