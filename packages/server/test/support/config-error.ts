import { isBusError } from '@app/core';

/** The message of the `config` BusError that `load` throws; anything else, or no error, fails the test. */
export function configErrorOf(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    if (isBusError(error) && error.reason === 'config') return error.message;
    throw error;
  }
  throw new Error('expected a configuration error');
}
