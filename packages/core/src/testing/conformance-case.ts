import type { BusFeature } from '../features.js';
import type { TestContext } from './harness.js';
import type { ConformanceTarget } from './target.js';

/** One check of the contract, run against every driver that declares what it needs. */
export interface ConformanceCase {
  readonly title: string;
  /** Features the case needs; it is skipped, with the reason printed, when one is missing. */
  readonly requires?: readonly BusFeature[];
  /** A feature whose absence the case checks; skipped when the driver declares it. */
  readonly requiresMissing?: BusFeature;
  /** Why the case cannot run against `target` (a hook it lacks), or undefined when it can. Checked after `requires`. */
  readonly skipUnless?: (target: ConformanceTarget) => string | undefined;
  run(context: TestContext, features: ReadonlySet<BusFeature>): Promise<void>;
}

/** Why a case does not apply to a driver with `features` (and `target`'s hooks), or undefined when it does. */
export function skipReason(testCase: ConformanceCase, features: ReadonlySet<BusFeature>, target?: ConformanceTarget): string | undefined {
  const missing = (testCase.requires ?? []).filter((feature) => !features.has(feature));
  if (missing.length > 0) return `driver does not declare ${missing.map((feature) => `"${feature}"`).join(', ')}`;
  if (testCase.requiresMissing !== undefined && features.has(testCase.requiresMissing)) {
    return `driver declares "${testCase.requiresMissing}"`;
  }
  return target === undefined ? undefined : testCase.skipUnless?.(target);
}
