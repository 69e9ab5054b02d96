import type { BusFeature } from '../features.js';
import type { TestContext } from './harness.js';

/** One check of the contract, run against every driver that declares what it needs. */
export interface ConformanceCase {
  readonly title: string;
  /** Features the case needs; it is skipped, with the reason printed, when one is missing. */
  readonly requires?: readonly BusFeature[];
  /** A feature whose absence the case checks; skipped when the driver declares it. */
  readonly requiresMissing?: BusFeature;
  run(context: TestContext, features: ReadonlySet<BusFeature>): Promise<void>;
}

/** Why a case does not apply to a driver with `features`, or undefined when it does. */
export function skipReason(testCase: ConformanceCase, features: ReadonlySet<BusFeature>): string | undefined {
  const missing = (testCase.requires ?? []).filter((feature) => !features.has(feature));
  if (missing.length > 0) return `driver does not declare ${missing.map((feature) => `"${feature}"`).join(', ')}`;
  if (testCase.requiresMissing !== undefined && features.has(testCase.requiresMissing)) {
    return `driver declares "${testCase.requiresMissing}"`;
  }
  return undefined;
}
