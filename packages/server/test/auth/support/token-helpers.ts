import { isBusError, type Env } from '@app/core';
import { isTokenError } from '../../../src/auth/token-error.js';
import { loadAuthSettings } from '../../../src/auth/token-settings.js';
import { createTokenVerifier, type TokenVerifier } from '../../../src/auth/token-verifier.js';

/** A verifier for settings that must configure auth. */
export function verifierFor(env: Env): TokenVerifier {
  const settings = loadAuthSettings(env);
  if (settings === undefined) throw new Error('expected auth settings');
  return createTokenVerifier(settings);
}

/** The reason of the TokenError `promise` rejects with; anything else fails the test. */
export async function reason(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isTokenError(error)) throw new Error(`expected a TokenError, got ${String(error)}`);
  return error.reason;
}

/** The message of the `config` BusError that loading `env` throws; anything else fails the test. */
export function configError(env: Env): string {
  try {
    loadAuthSettings(env);
  } catch (error) {
    if (isBusError(error) && error.reason === 'config') return error.message;
    throw error;
  }
  throw new Error('expected a configuration error');
}
