import { runConformanceSuite } from '@app/core/testing';
import { createExampleBus } from '../src/index.js';

runConformanceSuite({
  name: 'example',
  // Small bounds keep the slow-subscriber and stuck-handler cases quick; the suite is told them below.
  setup: async () => ({ bus: createExampleBus({ maxPendingPerSubscription: 50, closeTimeoutMs: 500 }) }),
  slowSubscriberBound: 50,
  closeTimeoutMs: 500,
  // The suite reads the features from the bus. No crossInstance, so no `remote` factory; no
  // persistent, so no restartBackend. Say why the other hooks are missing:
  withoutHooks: {
    cutConnection: 'an in-process bus has no connection to cut',
    truncateHistory: 'only historyPerChannel trims history: see test/history.test.ts',
  },
  timeoutMs: 5000,
});
