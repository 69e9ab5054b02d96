import { afterAll } from 'vitest';
import { runConformanceSuite } from '@app/core/testing';
import { testBus, uniqueName } from './bus-factory.js';
import { cleanUpPrefix } from './raw-kafka.js';

// Each run gets its own topic prefix: a clean namespace, and nothing of earlier runs to read.
const topicPrefix = `${uniqueName('conf')}.`;

runConformanceSuite({
  name: 'kafka',
  features: ['crossInstance', 'orderedPerChannel', 'persistent', 'replay', 'groups'],
  setup: async () => ({ bus: await testBus({ topicPrefix, clientId: 'conformance' }) }),
  timeoutMs: 20_000,
});

afterAll(() => cleanUpPrefix(topicPrefix));
