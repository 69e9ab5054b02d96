import { expect } from 'vitest';
import { isBusError, type BusErrorReason } from '../errors.js';

/** Asserts that `action` rejects (or throws) a BusError with `reason`, and returns it. */
export async function expectBusError(action: () => Promise<unknown>, reason: BusErrorReason): Promise<Error> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a BusError with reason "${reason}"`).toBeDefined();
  expect(isBusError(caught), `expected a BusError, got ${String(caught)}`).toBe(true);
  expect((caught as { reason: string }).reason).toBe(reason);
  return caught as Error;
}
