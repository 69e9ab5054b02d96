import { describe, expect, it } from 'vitest';
import type { BusFeature } from '../features.js';
import { backendCases } from './cases-backend.js';
import { basicCases } from './cases-basic.js';
import { contractCases } from './cases-contract.js';
import { crossProcessCases } from './cases-cross-process.js';
import { deliveryCases } from './cases-delivery.js';
import { ephemeralCases } from './cases-ephemeral.js';
import { groupCases } from './cases-groups.js';
import { historyCases } from './cases-history.js';
import { lifecycleCases } from './cases-lifecycle.js';
import { reentrantCases } from './cases-reentrant.js';
import { startPositionCases } from './cases-start-position.js';
import { skipReason, type ConformanceCase } from './conformance-case.js';
import { TestContext } from './harness.js';
import type { ConformanceTarget } from './target.js';

export type { ConformanceHookName, ConformanceInstance, ConformanceTarget, JsonValue, RemoteBusFactory } from './target.js';
export { Inbox, TestContext, settle } from './harness.js';
export { blockingGate, until, within, type BlockingGate } from './waits.js';
export { RemoteBus, type RemoteSubscription } from './remote-bus.js';
export { defaultAheadPosition } from './cases-history.js';
export { DATA_JSON_CASE_TITLE } from './cases-basic.js';
export type { ConformanceCase } from './conformance-case.js';
export { expectBusError } from './expect-bus-error.js';

/** Every case of the suite, in the order they run. */
export const conformanceCases: readonly ConformanceCase[] = [
  ...basicCases,
  ...deliveryCases,
  ...crossProcessCases,
  ...historyCases,
  ...startPositionCases,
  ...ephemeralCases,
  ...reentrantCases,
  ...groupCases,
  ...lifecycleCases,
  ...contractCases,
  ...backendCases,
];

/** The features a bus from `target.setup()` declares: the suite decides what to run from these. */
async function busFeatures(target: ConformanceTarget): Promise<ReadonlySet<BusFeature>> {
  const instance = await target.setup();
  try {
    return new Set(instance.bus.features);
  } finally {
    await instance.bus.close();
    await instance.cleanup?.();
  }
}

/**
 * Registers the conformance suite for one driver with vitest. Call it at the top level of a
 * test file. The suite makes one bus while collecting the tests, to read `bus.features`; cases
 * that need a feature the bus does not declare, or a target hook the target lacks, are skipped
 * with the reason in their title. A target that still lists `features` (deprecated) gets a
 * failing test when they differ from the bus's.
 */
export function runConformanceSuite(target: ConformanceTarget): void {
  const timeoutMs = target.timeoutMs ?? 15_000;
  const orderingMessages = target.orderingMessages ?? 200;
  describe(`conformance: ${target.name}`, async () => {
    const features = await busFeatures(target);
    if (target.features !== undefined) {
      const listed = target.features;
      it('the target\'s features (deprecated: the suite reads bus.features) equal what the bus declares', () => {
        expect([...listed].sort(), 'ConformanceTarget.features against bus.features').toEqual([...features].sort());
      });
    }
    for (const testCase of conformanceCases) {
      const reason = skipReason(testCase, features, target);
      if (reason !== undefined) {
        it.skip(`${testCase.title} [skipped: ${reason}]`, () => {});
        continue;
      }
      it(
        testCase.title,
        async () => {
          const context = new TestContext(target, timeoutMs, orderingMessages);
          try {
            await testCase.run(context, features);
          } finally {
            await context.dispose();
          }
        },
        // Room for setup, the waits inside the case and cleanup.
        timeoutMs * 4,
      );
    }
  });
}
