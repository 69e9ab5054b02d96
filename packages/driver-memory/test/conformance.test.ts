import { runConformanceSuite } from '@app/core/testing';
import { createMemoryBus } from '@app/driver-memory';

runConformanceSuite({
  name: 'memory',
  features: ['orderedPerChannel', 'replay', 'groups'],
  setup: async () => ({ bus: createMemoryBus({ redeliveryDelayMs: 10 }) }),
  timeoutMs: 5000,
});
