import type { Env } from '@app/core';
import { SignJWT, type JWTPayload } from 'jose';
import { isTokenError } from '../../../src/auth/token-error.js';
import { configErrorOf } from '../../support/config-error.js';
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
export const configError = (env: Env): string => configErrorOf(() => loadAuthSettings(env));

/** The secret, issuer and audience the WebSocket auth tests run with. */
export const TEST_SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
export const AUTH_ENV = { AUTH_SECRET: TEST_SECRET, AUTH_ISSUER: 'https://issuer.test', AUTH_AUDIENCE: 'realtime' } as const;

/** Seconds since the epoch, as JWT claims count. */
export const nowS = (): number => Math.floor(Date.now() / 1000);

/** An HS256 token for {@link AUTH_ENV}: its issuer and audience, valid a minute, unless `claims` say otherwise. */
export function signToken(claims: JWTPayload, secret: string = TEST_SECRET): Promise<string> {
  const full = { iss: 'https://issuer.test', aud: 'realtime', exp: nowS() + 60, ...claims };
  return new SignJWT(full).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
}
