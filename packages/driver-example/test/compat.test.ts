import * as core from '@app/core';
import * as driverKit from '@app/core/driver';
import { runConformanceSuite } from '@app/core/testing';
import { describe, expect, it } from 'vitest';
import { createExampleBus } from '../src/index.js';

/** What drivers written before `@app/core/driver` imported from `@app/core`; they must keep working. */
const MOVED = [
  'preparePublish', 'resolveSubscribeOptions', 'DeliveryQueue', 'decodeData', 'encodeData', 'lazyMessage', 'deadLetterHeaders',
  'reportSubscriptionError', 'withTimeout', 'delay', 'DEAD_LETTER_HEADERS', 'DEFAULT_MAX_ATTEMPTS', 'DEFAULT_MAX_PAYLOAD_BYTES',
] as const;
const STAYED = ['BusError', 'isBusError', 'defineBusDriver', 'loadBusDriver', 'silentLogger', 'envBool', 'envChoice', 'envInt', 'envList', 'envString', 'validateChannel'] as const;

describe('compatibility with drivers written against @app/core alone', () => {
  it('every helper they imported from @app/core is still there, the same one @app/core/driver exports', () => {
    for (const name of MOVED) {
      expect(core[name], `@app/core still exports ${name}`).toBeDefined();
      expect(core[name], `@app/core's ${name} is @app/core/driver's`).toBe(driverKit[name]);
    }
    for (const name of STAYED) expect(core[name], `@app/core exports ${name}`).toBeDefined();
  });
});

// An old target lists its features (deprecated): the suite still runs, and checks the list against the bus's.
runConformanceSuite({
  name: 'example, through a target written before the suite read bus.features',
  features: ['orderedPerChannel', 'replay'],
  setup: async () => ({ bus: createExampleBus({ maxPendingPerSubscription: 50, closeTimeoutMs: 500 }) }),
  slowSubscriberBound: 50,
  closeTimeoutMs: 500,
  timeoutMs: 5000,
});
