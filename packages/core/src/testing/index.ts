import { describe, it } from 'vitest';
import type { BusFeature } from '../features.js';
import { basicCases } from './cases-basic.js';
import { deliveryCases } from './cases-delivery.js';
import { groupCases } from './cases-groups.js';
import { lifecycleCases } from './cases-lifecycle.js';
import { startPositionCases } from './cases-start-position.js';
import { skipReason, type ConformanceCase } from './conformance-case.js';
import { TestContext } from './harness.js';
import type { ConformanceTarget } from './target.js';

export type { ConformanceInstance, ConformanceTarget } from './target.js';
export { Inbox, TestContext, settle } from './harness.js';
export { DATA_JSON_CASE_TITLE } from './cases-basic.js';
export type { ConformanceCase } from './conformance-case.js';
export { expectBusError } from './expect-bus-error.js';

/** Every case of the suite, in the order they run. */
export const conformanceCases: readonly ConformanceCase[] = [...basicCases, ...deliveryCases, ...startPositionCases, ...groupCases, ...lifecycleCases];

/**
 * Registers the conformance suite for one driver with vitest. Call it at the top level of a
 * test file. Cases that need a feature the driver does not declare are skipped with the reason
 * in their title.
 */
export function runConformanceSuite(target: ConformanceTarget): void {
  const features: ReadonlySet<BusFeature> = new Set(target.features);
  const timeoutMs = target.timeoutMs ?? 15_000;
  const orderingMessages = target.orderingMessages ?? 200;
  describe(`conformance: ${target.name}`, () => {
    for (const testCase of conformanceCases) {
      const reason = skipReason(testCase, features);
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
